#include <limits.h>
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

int
pline_name_ok(const char *name)
{
	size_t	 i;

	if (!((name[0] >= 'A' && name[0] <= 'Z') ||
	    (name[0] >= 'a' && name[0] <= 'z')))
		return 0;
	for (i = 1; name[i] != '\0'; i++)
		if (i >= HG_DATA_NAME_MAX || strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789_.-", name[i]) == NULL)
			return 0;
	return 1;
}

void
pline_free(struct pline *out)
{
	free(out->json);
	out->json = NULL;
	out->json_len = 0;
}

#define NAME_RULE	"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"

/*
 * Sets out->json to v printed, if it is at most HG_DATA_ITEM_MAX bytes;
 * else, or without memory, writes why (what names the refused thing:
 * "data item", "result") and returns -1.
 */
static int
value_take(const cJSON *v, const char *what, struct pline *out)
{
	char	*text;
	size_t	 n;

	if ((text = json_print(v)) == NULL) {
		snprintf(out->why, sizeof(out->why), "hourglass: %s refused: "
		    "out of memory", what);
		return -1;
	}
	if ((n = strlen(text)) > HG_DATA_ITEM_MAX) {
		snprintf(out->why, sizeof(out->why), "hourglass: %s refused: "
		    "it is %zu bytes serialized; the limit is %d", what, n,
		    HG_DATA_ITEM_MAX);
		free(text);
		return -1;
	}
	out->json = text;
	out->json_len = n;
	return 0;
}

/* Its name, cut to a quotable length at a character boundary. */
static int
quoted_len(const char *s)
{
	size_t	 n = strlen(s);

	if (n > HG_DATA_NAME_MAX + 8) {
		n = HG_DATA_NAME_MAX + 8;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return (int)n;
}

/* {"data": v, "name": "row"}: PLINE_DATA, or a refused PLINE_LOG. A
 * name left out or null is "data". */
static void
parse_data(const cJSON *doc, const cJSON *v, struct pline *out)
{
	const cJSON	*n = cJSON_GetObjectItemCaseSensitive(doc, "name");

	if (cJSON_IsNull(n))
		n = NULL;
	out->kind = PLINE_LOG;
	if (n != NULL && !cJSON_IsString(n)) {
		snprintf(out->why, sizeof(out->why), "hourglass: data item "
		    "refused: its name must be a string matching "
		    NAME_RULE);
		return;
	}
	if (n != NULL && !pline_name_ok(n->valuestring)) {
		snprintf(out->why, sizeof(out->why), "hourglass: data item "
		    "refused: its name \"%.*s\" does not match " NAME_RULE,
		    quoted_len(n->valuestring), n->valuestring);
		return;
	}
	if (value_take(v, "data item", out) == -1)
		return;
	snprintf(out->name, sizeof(out->name), "%s", n != NULL ?
	    n->valuestring : "data");
	out->kind = PLINE_DATA;
}

/*
 * A line json_parse() refused (e): if a looser reader, cJSON's own, takes
 * it for an object with "data", "result" or "complete", it was meant as
 * an item, a result or an end, and is refused saying why (a duplicate
 * key, "\u0000", nesting too deep), as other refused ones are. Returns
 * 0 if so, else -1: a log line like any other.
 */
static int
refused_json(const char *l, size_t len, const struct hg_err *e,
    struct pline *out)
{
	cJSON	*doc;
	int	 rc = -1;

	if (e->status != 400 || (doc = cJSON_ParseWithLength(l, len)) == NULL)
		return -1;
	if (cJSON_IsObject(doc) &&
	    (cJSON_GetObjectItemCaseSensitive(doc, "data") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(doc, "result") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(doc, "complete") != NULL)) {
		out->kind = PLINE_LOG;
		snprintf(out->why, sizeof(out->why), "hourglass: line refused: "
		    "%.200s", e->msg);
		rc = 0;
	}
	cJSON_Delete(doc);
	return rc;
}

/*
 * A progress report: {"progress": <fraction>} or {"value": v, "total": t}
 * with numbers in range. Returns the key that makes it one, with *value
 * and *total set, or NULL if doc is none.
 */
static const char *
progress_of(const cJSON *doc, double *value, double *total)
{
	const cJSON	*v, *t;

	if ((v = cJSON_GetObjectItemCaseSensitive(doc, "progress")) != NULL) {
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
		    v->valuedouble < 0 || v->valuedouble > 1)
			return NULL;
		*value = v->valuedouble * 100;
		*total = 100;
		return "progress";
	}
	v = cJSON_GetObjectItemCaseSensitive(doc, "value");
	t = cJSON_GetObjectItemCaseSensitive(doc, "total");
	if (!cJSON_IsNumber(v) || !cJSON_IsNumber(t) ||
	    !isfinite(v->valuedouble) || !isfinite(t->valuedouble) ||
	    v->valuedouble < 0 || v->valuedouble > HG_PROGRESS_NUM_MAX ||
	    t->valuedouble <= 0 || t->valuedouble > HG_PROGRESS_NUM_MAX)
		return NULL;
	*value = v->valuedouble;
	*total = t->valuedouble;
	return "value";
}

/* {"complete": 1, "code": N, "description": "...", "result": ...}: the
 * end counts whatever else of the line is refused, as the program's
 * exit would (an external worker has none). */
static void
parse_complete(const cJSON *doc, const cJSON *d, const cJSON *r,
    struct pline *out)
{
	const cJSON	*t = cJSON_GetObjectItemCaseSensitive(doc, "code");
	const cJSON	*m = cJSON_GetObjectItemCaseSensitive(doc,
			    "description");
	int64_t		 code = 0;

	if (t != NULL && (json_int(t, &code) == -1 || code < INT_MIN ||
	    code > INT_MAX)) {
		/* Else the end is missed, with nothing said: a worker
		 * elsewhere would be told all is well. */
		out->kind = PLINE_LOG;
		snprintf(out->why, sizeof(out->why), "hourglass: complete "
		    "line refused: its code must be an integer from %d to %d",
		    INT_MIN, INT_MAX);
		return;
	}
	out->kind = PLINE_COMPLETE;
	out->code = (int)code;
	if (cJSON_IsString(m))
		set_message(out, m->valuestring, strlen(m->valuestring));
	if (r != NULL)
		(void)value_take(r, "result", out);
	if (d != NULL && out->why[0] == '\0')
		snprintf(out->why, sizeof(out->why), "hourglass: data item "
		    "refused: a complete line carries none; send it on a "
		    "line of its own");
}

/* Cronicle's JSON lines, and data items and results. Returns 0 when
 * out says what the line is (a refused one is PLINE_LOG with why). */
static int
parse_json(const char *l, size_t len, struct pline *out)
{
	static const char *const kept[] = { "data", "result", NULL };
	const cJSON	*v, *m, *d, *r;
	cJSON		*doc;
	struct hg_err	 e;
	const char	*other;
	double		 value, total;
	int		 rc = -1;

	if (len < 2 || l[0] != '{')
		return -1;
	if ((doc = json_parse(l, len, &e)) == NULL)
		return refused_json(l, len, &e, out);
	if (!cJSON_IsObject(doc))
		goto out;
	m = cJSON_GetObjectItemCaseSensitive(doc, "message");
	d = cJSON_GetObjectItemCaseSensitive(doc, "data");
	r = cJSON_GetObjectItemCaseSensitive(doc, "result");
	v = cJSON_GetObjectItemCaseSensitive(doc, "complete");
	rc = 0;
	/* Their numbers go out as they came, past what a double holds. */
	if ((d != NULL || r != NULL) &&
	    json_keep_digits(doc, kept, l, len) == -1) {
		out->kind = PLINE_LOG;
		snprintf(out->why, sizeof(out->why), "hourglass: line refused: "
		    "out of memory");
	} else if (v != NULL) {
		if (cJSON_IsTrue(v) || (cJSON_IsNumber(v) &&
		    v->valuedouble == 1))
			parse_complete(doc, d, r, out);
		else
			rc = -1;	/* not an end: a log line */
	} else if (d != NULL && r != NULL) {
		out->kind = PLINE_LOG;
		snprintf(out->why, sizeof(out->why), "hourglass: line refused: "
		    "it has both \"data\" and \"result\"; send each on a line "
		    "of its own");
	} else if ((d != NULL || r != NULL) &&
	    (other = progress_of(doc, &value, &total)) != NULL) {
		/* Its progress would be lost. */
		out->kind = PLINE_LOG;
		snprintf(out->why, sizeof(out->why), "hourglass: line refused: "
		    "it has both \"%s\" and \"%s\"; send each on a line of "
		    "its own", d != NULL ? "data" : "result", other);
	} else if (d != NULL)
		parse_data(doc, d, out);
	else if (r != NULL)
		out->kind = value_take(r, "result", out) == 0 ? PLINE_RESULT :
		    PLINE_LOG;
	else if (progress_of(doc, &out->value, &out->total) != NULL) {
		out->kind = PLINE_PROGRESS;
		if (cJSON_IsString(m))
			set_message(out, m->valuestring,
			    strlen(m->valuestring));
	} else
		rc = -1;
out:
	cJSON_Delete(doc);
	return rc;
}

int
progress_regex(const char *line, const regex_t *re, double *percent)
{
	regmatch_t	 m[2];

	if (re == NULL || regexec(re, line, 2, m, 0) != 0 || m[1].rm_so < 0 ||
	    read_num(line + m[1].rm_so, line + m[1].rm_eo, percent) == -1 ||
	    *percent > 100)
		return -1;
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
	pline_free(out);
	memset(out, 0, sizeof(*out));
	if (progress_regex(line, re, &out->value) == 0) {
		out->kind = PLINE_PROGRESS;
		out->total = 100;
		return out->kind;
	}
	memset(out, 0, sizeof(*out));
	return PLINE_LOG;
}
