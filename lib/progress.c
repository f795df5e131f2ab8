#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "progress.h"

static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */

/* Length of the valid UTF-8 character at p (at most n bytes), or 0. */
static size_t
utf8_char(const unsigned char *p, size_t n)
{
	size_t	 len;

	if (p[0] >= 0x01 && p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len || json_utf8_valid((const char *)p, len) == -1)
		return 0;
	return len;
}

size_t
hg_utf8_clean(const char *in, size_t len, char *out, size_t cap)
{
	const unsigned char	*p = (const unsigned char *)in;
	size_t			 i = 0, o = 0, c;

	while (i < len) {
		if ((c = utf8_char(p + i, len - i)) == 0) {
			if (o + 3 >= cap)
				break;
			memcpy(out + o, replacement, 3);
			o += 3;
			i++;
			continue;
		}
		if (o + c >= cap)
			break;
		memcpy(out + o, in + i, c);
		o += c;
		i += c;
	}
	out[o] = '\0';
	return o;
}

/* A finite number in 0..HG_PROGRESS_NUM_MAX, read whole from s..end. */
static int
read_num(const char *s, const char *end, double *v)
{
	char	 buf[64], *e;
	size_t	 n = (size_t)(end - s);

	if (n == 0 || n >= sizeof(buf) || strspn(s, "0123456789.") < n)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*v = strtod(buf, &e);
	if (*e != '\0' || !isfinite(*v) || *v < 0 || *v > HG_PROGRESS_NUM_MAX)
		return -1;
	return 0;
}

static void
set_message(struct pline *out, const char *s, size_t n)
{
	if (n >= sizeof(out->message))
		n = sizeof(out->message) - 1;
	/* Cut at a character boundary. */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(out->message, s, n);
	out->message[n] = '\0';
	out->has_message = 1;
}

/* PROGRESS <value>/<total> [message] */
static int
parse_keyword(const char *l, size_t len, struct pline *out)
{
	const char	*p = l + 9, *end = l + len, *slash, *sp;

	if (len < 12 || memcmp(l, "PROGRESS ", 9) != 0)
		return -1;
	if ((slash = memchr(p, '/', (size_t)(end - p))) == NULL)
		return -1;
	if ((sp = memchr(slash, ' ', (size_t)(end - slash))) == NULL)
		sp = end;
	if (read_num(p, slash, &out->value) == -1 ||
	    read_num(slash + 1, sp, &out->total) == -1 || out->total <= 0)
		return -1;
	if (sp < end && sp + 1 < end)
		set_message(out, sp + 1, (size_t)(end - sp - 1));
	return 0;
}

/* 42% or 42.5%, alone on the line (blanks around allowed). */
static int
parse_percent(const char *l, size_t len, struct pline *out)
{
	while (len > 0 && (l[0] == ' ' || l[0] == '\t')) {
		l++;
		len--;
	}
	while (len > 0 && (l[len - 1] == ' ' || l[len - 1] == '\t'))
		len--;
	if (len < 2 || l[len - 1] != '%' ||
	    read_num(l, l + len - 1, &out->value) == -1 || out->value > 100)
		return -1;
	out->total = 100;
	return 0;
}

/* Cronicle's JSON lines. */
static int
parse_json(const char *l, size_t len, struct pline *out)
{
	const cJSON	*v, *t, *m;
	cJSON		*doc;
	int64_t		 code = 0;
	int		 rc = -1;

	if (len < 2 || l[0] != '{' || (doc = json_parse(l, len, NULL)) == NULL)
		return -1;
	if (!cJSON_IsObject(doc))
		goto out;
	m = cJSON_GetObjectItemCaseSensitive(doc, "message");
	if ((v = cJSON_GetObjectItemCaseSensitive(doc, "complete")) != NULL) {
		if (!(cJSON_IsTrue(v) || (cJSON_IsNumber(v) &&
		    v->valuedouble == 1)))
			goto out;
		t = cJSON_GetObjectItemCaseSensitive(doc, "code");
		if (t != NULL && (json_int(t, &code) == -1 ||
		    code < -255 || code > 255))
			goto out;
		out->kind = PLINE_COMPLETE;
		out->code = (int)code;
		m = cJSON_GetObjectItemCaseSensitive(doc, "description");
	} else if ((v = cJSON_GetObjectItemCaseSensitive(doc, "progress")) !=
	    NULL) {
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
		    v->valuedouble < 0 || v->valuedouble > 1)
			goto out;
		out->kind = PLINE_PROGRESS;
		out->value = v->valuedouble * 100;
		out->total = 100;
	} else if ((v = cJSON_GetObjectItemCaseSensitive(doc, "value")) !=
	    NULL) {
		t = cJSON_GetObjectItemCaseSensitive(doc, "total");
		if (!cJSON_IsNumber(v) || !cJSON_IsNumber(t) ||
		    !isfinite(v->valuedouble) || !isfinite(t->valuedouble) ||
		    v->valuedouble < 0 || v->valuedouble > HG_PROGRESS_NUM_MAX ||
		    t->valuedouble <= 0 || t->valuedouble > HG_PROGRESS_NUM_MAX)
			goto out;
		out->kind = PLINE_PROGRESS;
		out->value = v->valuedouble;
		out->total = t->valuedouble;
	} else
		goto out;
	if (cJSON_IsString(m))
		set_message(out, m->valuestring, strlen(m->valuestring));
	rc = 0;
out:
	cJSON_Delete(doc);
	return rc;
}

/* The kind's own regex: its first group is a percent. */
static int
parse_regex(const char *l, const regex_t *re, struct pline *out)
{
	regmatch_t	 m[2];

	if (re == NULL || regexec(re, l, 2, m, 0) != 0 || m[1].rm_so < 0 ||
	    read_num(l + m[1].rm_so, l + m[1].rm_eo, &out->value) == -1 ||
	    out->value > 100)
		return -1;
	out->total = 100;
	return 0;
}

enum pline_kind
progress_parse(const char *line, size_t len, const regex_t *re,
    struct pline *out)
{
	memset(out, 0, sizeof(*out));
	if (parse_keyword(line, len, out) == 0 ||
	    parse_percent(line, len, out) == 0) {
		out->kind = PLINE_PROGRESS;
		return out->kind;
	}
	memset(out, 0, sizeof(*out));
	if (parse_json(line, len, out) == 0)
		return out->kind;
	memset(out, 0, sizeof(*out));
	if (parse_regex(line, re, out) == 0) {
		out->kind = PLINE_PROGRESS;
		return out->kind;
	}
	memset(out, 0, sizeof(*out));
	return PLINE_LOG;
}
