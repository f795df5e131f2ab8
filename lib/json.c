#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_INT_LIMIT	9007199254740992.0	/* 2^53 */

int
json_utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n, k;
	uint32_t		 cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 1; cp = p[i] & 0x1f; min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2; cp = p[i] & 0x0f; min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 3; cp = p[i] & 0x07; min = 0x10000;
		} else
			return -1;
		if (len - i <= n)
			return -1;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		i += n + 1;
	}
	return 0;
}

size_t
json_utf8_len(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * One pass over the text for what cJSON lets through: depth, NUL bytes,
 * the "\u0000" escape (cJSON would end the string there), control
 * characters inside strings, whitespace other than RFC 8259's four, and
 * numbers with a leading zero ("01").
 */
static int
json_prescan(const char *buf, size_t len, struct hg_err *e)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 i;
	int			 depth = 0, instr = 0, innum = 0;

	if (memchr(buf, '\0', len) != NULL)
		return hg_err_set(e, 400, "invalid_json",
		    "body contains a NUL byte");
	if (json_utf8_valid(buf, len) == -1)
		return hg_err_set(e, 400, "invalid_json",
		    "body is not valid UTF-8");
	for (i = 0; i < len; i++) {
		if (instr) {
			if (p[i] < 0x20)
				return hg_err_set(e, 400, "invalid_json",
				    "control character in a string at byte "
				    "%zu; escape it", i);
			if (p[i] == '\\' && i + 1 < len) {
				if (p[i + 1] == 'u' && i + 5 < len &&
				    memcmp(buf + i + 2, "0000", 4) == 0)
					return hg_err_set(e, 400,
					    "invalid_json", "strings may not "
					    "contain \\u0000");
				i++;
			} else if (p[i] == '"')
				instr = 0;
			continue;
		}
		if (p[i] < 0x20 && p[i] != ' ' && p[i] != '\t' &&
		    p[i] != '\n' && p[i] != '\r')
			return hg_err_set(e, 400, "invalid_json",
			    "control character at byte %zu", i);
		/* A number starts at '-' or a digit not inside another. */
		if (!innum && (p[i] == '-' || (p[i] >= '0' && p[i] <= '9'))) {
			size_t	 j = i + (p[i] == '-');

			if (j + 1 < len && p[j] == '0' && p[j + 1] >= '0' &&
			    p[j + 1] <= '9')
				return hg_err_set(e, 400, "invalid_json",
				    "number with a leading zero at byte %zu",
				    i);
		}
		innum = (p[i] >= '0' && p[i] <= '9') || p[i] == '-' ||
		    p[i] == '+' || p[i] == '.' || p[i] == 'e' || p[i] == 'E';
		switch (p[i]) {
		case '"':
			instr = 1;
			break;
		case '[':
		case '{':
			if (++depth > HG_JSON_DEPTH_MAX)
				return hg_err_set(e, 400, "invalid_json",
				    "JSON nested deeper than %d",
				    HG_JSON_DEPTH_MAX);
			break;
		case ']':
		case '}':
			depth--;
			break;
		}
	}
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Finds a key that appears twice in one object, anywhere in the tree. */
static int
json_dupcheck(const cJSON *item, struct hg_err *e)
{
	const cJSON	 *c;
	const char	**names;
	size_t		  n = 0, i;
	int		  rc = 0;

	for (c = item->child; c != NULL; c = c->next) {
		if (json_dupcheck(c, e) == -1)
			return -1;
		n++;
	}
	if (!cJSON_IsObject(item) || n < 2)
		return 0;
	if ((names = calloc(n, sizeof(*names))) == NULL)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	for (i = 0, c = item->child; c != NULL; c = c->next)
		names[i++] = c->string;
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(names[i - 1], names[i]) == 0) {
			rc = hg_err_set(e, 400, "invalid_json",
			    "duplicate key \"%.64s\"", names[i]);
			break;
		}
	free(names);
	return rc;
}

cJSON *
json_parse(const char *buf, size_t len, struct hg_err *e)
{
	cJSON		*doc;
	const char	*end = NULL;

	if (json_prescan(buf, len, e) == -1)
		return NULL;
	/* cJSON's "require null terminated" wants a NUL inside len; check
	 * that only whitespace follows the value ourselves. */
	doc = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (doc == NULL) {
		hg_err_set(e, 400, "invalid_json",
		    "malformed JSON at byte %zu",
		    end != NULL && end >= buf ? (size_t)(end - buf) : 0);
		return NULL;
	}
	while (end < buf + len && strchr(" \t\r\n", *end) != NULL)
		end++;
	if (end != buf + len) {
		cJSON_Delete(doc);
		hg_err_set(e, 400, "invalid_json", "unexpected text after the "
		    "JSON value at byte %zu", (size_t)(end - buf));
		return NULL;
	}
	if (json_dupcheck(doc, e) == -1) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

int
json_int(const cJSON *item, int64_t *v)
{
	double	 d;

	if (!cJSON_IsNumber(item))
		return -1;
	d = item->valuedouble;
	if (!isfinite(d) || d != floor(d) || d > JSON_INT_LIMIT ||
	    d < -JSON_INT_LIMIT)
		return -1;
	*v = (int64_t)d;
	return 0;
}

cJSON *
json_add_int(cJSON *obj, const char *name, int64_t v)
{
	char	 buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cJSON_AddRawToObject(obj, name, buf);
}

cJSON *
json_add_str_or_null(cJSON *obj, const char *name, const char *s)
{
	if (s == NULL)
		return cJSON_AddNullToObject(obj, name);
	return cJSON_AddStringToObject(obj, name, s);
}

char *
json_print(const cJSON *item)
{
	return cJSON_PrintUnformatted(item);
}
