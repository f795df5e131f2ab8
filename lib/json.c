#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
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
 * A strict check of the JSON grammar (RFC 8259) before cJSON sees the
 * text. cJSON accepts things that are not JSON (control characters in
 * strings, form feed as whitespace, "01"), turns "\u0000" into a string
 * that silently ends early, and nests as deep as its compiled-in limit;
 * and when it fails it cannot tell malformed text from a failed
 * allocation. Past this check, a cJSON failure means out of memory.
 */
struct scan {
	const unsigned char	*p;
	size_t			 len, i;
	int			 depth;
	struct hg_err		*e;
};

static int	scan_value(struct scan *);

static int
scan_fail(struct scan *s, const char *what)
{
	return hg_err_set(s->e, 400, "invalid_json", "%s at byte %zu", what,
	    s->i);
}

static void
scan_ws(struct scan *s)
{
	while (s->i < s->len && (s->p[s->i] == ' ' || s->p[s->i] == '\t' ||
	    s->p[s->i] == '\n' || s->p[s->i] == '\r'))
		s->i++;
}

static int
scan_digits(struct scan *s)
{
	size_t	 start = s->i;

	while (s->i < s->len && s->p[s->i] >= '0' && s->p[s->i] <= '9')
		s->i++;
	return s->i > start ? 0 : scan_fail(s, "malformed number");
}

static int
scan_number(struct scan *s)
{
	if (s->p[s->i] == '-')
		s->i++;
	if (s->i < s->len && s->p[s->i] == '0') {
		s->i++;
		if (s->i < s->len && s->p[s->i] >= '0' && s->p[s->i] <= '9')
			return scan_fail(s, "number with a leading zero");
	} else if (scan_digits(s) == -1)
		return -1;
	if (s->i < s->len && s->p[s->i] == '.') {
		s->i++;
		if (scan_digits(s) == -1)
			return -1;
	}
	if (s->i < s->len && (s->p[s->i] == 'e' || s->p[s->i] == 'E')) {
		s->i++;
		if (s->i < s->len && (s->p[s->i] == '+' || s->p[s->i] == '-'))
			s->i++;
		if (scan_digits(s) == -1)
			return -1;
	}
	return 0;
}

/* Reads the 4 hex digits after "\u" at s->i; -1 if they are not. */
static long
scan_hex4(struct scan *s)
{
	long	 v = 0;
	size_t	 k;
	int	 c;

	if (s->len - s->i < 4)
		return -1;
	for (k = 0; k < 4; k++) {
		c = s->p[s->i + k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	s->i += 4;
	return v;
}

static int
scan_string(struct scan *s)
{
	long	 u, lo;

	for (s->i++; s->i < s->len; ) {
		if (s->p[s->i] == '"') {
			s->i++;
			return 0;
		}
		if (s->p[s->i] < 0x20)
			return scan_fail(s, "control character in a string; "
			    "escape it");
		if (s->p[s->i++] != '\\')
			continue;
		if (s->i >= s->len)
			break;
		if (strchr("\"\\/bfnrt", s->p[s->i]) != NULL) {
			s->i++;
			continue;
		}
		if (s->p[s->i++] != 'u' || (u = scan_hex4(s)) == -1)
			return scan_fail(s, "malformed escape in a string");
		if (u == 0)
			return hg_err_set(s->e, 400, "invalid_json",
			    "strings may not contain \\u0000");
		if (u >= 0xdc00 && u <= 0xdfff)
			return scan_fail(s, "malformed escape in a string "
			    "(lone low surrogate)");
		if (u >= 0xd800 && u <= 0xdbff) {
			if (s->len - s->i < 2 || s->p[s->i] != '\\' ||
			    s->p[s->i + 1] != 'u')
				return scan_fail(s, "malformed escape in a "
				    "string (lone high surrogate)");
			s->i += 2;
			if ((lo = scan_hex4(s)) < 0xdc00 || lo > 0xdfff)
				return scan_fail(s, "malformed escape in a "
				    "string (bad surrogate pair)");
		}
	}
	return scan_fail(s, "malformed JSON: unterminated string");
}

static int
scan_literal(struct scan *s, const char *word)
{
	size_t	 n = strlen(word);

	if (s->len - s->i < n || memcmp(s->p + s->i, word, n) != 0)
		return scan_fail(s, "malformed JSON");
	s->i += n;
	return 0;
}

/* An array or an object: the members, comma separated. */
static int
scan_container(struct scan *s)
{
	int	 obj = s->p[s->i] == '{';
	char	 close = obj ? '}' : ']';

	if (++s->depth > HG_JSON_DEPTH_MAX)
		return hg_err_set(s->e, 400, "invalid_json",
		    "JSON nested deeper than %d", HG_JSON_DEPTH_MAX);
	s->i++;
	scan_ws(s);
	if (s->i < s->len && s->p[s->i] == close) {
		s->i++;
		s->depth--;
		return 0;
	}
	for (;;) {
		if (obj) {
			scan_ws(s);
			if (s->i >= s->len || s->p[s->i] != '"')
				return scan_fail(s, "malformed JSON: expected "
				    "a key");
			if (scan_string(s) == -1)
				return -1;
			scan_ws(s);
			if (s->i >= s->len || s->p[s->i] != ':')
				return scan_fail(s, "malformed JSON: expected "
				    "':'");
			s->i++;
		}
		if (scan_value(s) == -1)
			return -1;
		scan_ws(s);
		if (s->i < s->len && s->p[s->i] == ',') {
			s->i++;
			continue;
		}
		if (s->i < s->len && s->p[s->i] == close) {
			s->i++;
			s->depth--;
			return 0;
		}
		return scan_fail(s, obj ? "malformed JSON: expected ',' or "
		    "'}'" : "malformed JSON: expected ',' or ']'");
	}
}

static int
scan_value(struct scan *s)
{
	scan_ws(s);
	if (s->i >= s->len)
		return scan_fail(s, "malformed JSON: a value is missing");
	switch (s->p[s->i]) {
	case '{':
	case '[':
		return scan_container(s);
	case '"':
		return scan_string(s);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		if (s->p[s->i] == '-' ||
		    (s->p[s->i] >= '0' && s->p[s->i] <= '9'))
			return scan_number(s);
		if (s->p[s->i] < 0x20)
			return scan_fail(s, "malformed JSON: control "
			    "character");
		return scan_fail(s, "malformed JSON");
	}
}

static int
json_prescan(const char *buf, size_t len, struct hg_err *e)
{
	struct scan	 s = { (const unsigned char *)buf, len, 0, 0, e };

	if (memchr(buf, '\0', len) != NULL)
		return hg_err_set(e, 400, "invalid_json",
		    "body contains a NUL byte");
	if (json_utf8_valid(buf, len) == -1)
		return hg_err_set(e, 400, "invalid_json",
		    "body is not valid UTF-8");
	if (scan_value(&s) == -1)
		return -1;
	scan_ws(&s);
	if (s.i != len) {
		if (s.p[s.i] < 0x20)
			return scan_fail(&s, "control character after the "
			    "JSON value");
		return scan_fail(&s, "unexpected text after the JSON value");
	}
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Finds a key that appears twice in one object, or a number past what
 * a double holds (1e400 reads as infinity, and would go out as null),
 * anywhere in the tree. */
static int
json_dupcheck(const cJSON *item, struct hg_err *e)
{
	const cJSON	 *c;
	const char	**names;
	size_t		  n = 0, i;
	int		  rc = 0;

	if (cJSON_IsNumber(item) && !isfinite(item->valuedouble))
		return hg_err_set(e, 400, "invalid_json", "a number is too "
		    "large for a double (about 1.8e308 at most)");
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

	if (json_prescan(buf, len, e) == -1)
		return NULL;
	/* The text is valid JSON: a failure here is cJSON's allocation. */
	if ((doc = cJSON_ParseWithLength(buf, len)) == NULL) {
		hg_err_set(e, 503, "unavailable", "out of memory");
		return NULL;
	}
	if (json_dupcheck(doc, e) == -1) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

/*
 * The next number of the JSON text buf (len bytes) from *pos, outside
 * strings: sets *start and returns its length, and moves *pos past it;
 * 0 if there is none. Keys are strings, and true, false and null hold
 * no digit, so a '-' or a digit outside a string starts a number.
 */
static size_t
next_number(const char *buf, size_t len, size_t *pos, size_t *start)
{
	size_t	 i = *pos;

	while (i < len && buf[i] != '-' && (buf[i] < '0' || buf[i] > '9')) {
		if (buf[i++] != '"')
			continue;
		while (i < len && buf[i] != '"')
			i += buf[i] == '\\' ? 2 : 1;
		i++;
	}
	if (i >= len) {
		*pos = len;
		return 0;
	}
	*start = i;
	while (i < len && buf[i] != '\0' &&
	    strchr("0123456789+-.eE", buf[i]) != NULL)
		i++;
	*pos = i;
	return i - *start;
}

/* The significant digits of a number's text: those of its mantissa
 * from the first that is not 0. */
static size_t
significant(const char *t, size_t n)
{
	size_t	 i = 0, k = 0;

	while (i < n && (t[i] == '-' || t[i] == '0' || t[i] == '.'))
		i++;
	for (; i < n && t[i] != 'e' && t[i] != 'E'; i++)
		k += t[i] >= '0' && t[i] <= '9';
	return k;
}

struct keep {
	const char		 *buf;
	size_t			  len, pos;
	const char *const	 *names;
};

/* Whether it is a member named one of kp->names, or there are none. */
static int
keep_named(const struct keep *kp, const cJSON *it)
{
	const char *const	*n;

	if (kp->names == NULL)
		return 1;
	if (it->string == NULL)
		return 0;
	for (n = kp->names; *n != NULL; n++)
		if (strcmp(*n, it->string) == 0)
			return 1;
	return 0;
}

/* Walks it in the text's order, taking a number of the text for each
 * number of the tree. */
static int
keep_walk(struct keep *kp, cJSON *it, int inside)
{
	cJSON	*c;
	char	*t;
	size_t	 start = 0, n;

	inside = inside || keep_named(kp, it);
	if (cJSON_IsNumber(it) &&
	    (n = next_number(kp->buf, kp->len, &kp->pos, &start)) > 0 &&
	    inside && significant(kp->buf + start, n) > 15) {
		if ((t = cJSON_malloc(n + 1)) == NULL)
			return -1;
		memcpy(t, kp->buf + start, n);
		t[n] = '\0';
		it->type = cJSON_Raw;
		it->valuestring = t;
	}
	for (c = it->child; c != NULL; c = c->next)
		if (keep_walk(kp, c, inside) == -1)
			return -1;
	return 0;
}

int
json_keep_digits(cJSON *doc, const char *const *names, const char *buf,
    size_t len)
{
	struct keep	 kp = { buf, len, 0, names };

	return keep_walk(&kp, doc, 0);
}

int
json_int(const cJSON *item, int64_t *v)
{
	double	 d;

	if (!cJSON_IsNumber(item))
		return -1;
	d = item->valuedouble;
	if (!isfinite(d) || d != floor(d) || d > JSON_INT_SAFE ||
	    d < -JSON_INT_SAFE)
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


/* The first allocation: a list page of 50 tasks is about 15 KiB. */
#define JSON_BUF_FIRST	16384

/*
 * Grows the buffer for n more bytes and a NUL, by buf_room(). json_buf
 * keeps its own fields (its callers name them, and initialise them in
 * order), so they go through a struct buf and back. Returns 0, or -1
 * (oom).
 */
static int
json_grow(struct json_buf *jb, size_t n)
{
	struct buf	 b = { jb->p, jb->len, jb->cap, jb->oom };
	int		 rc = 0;

	if (b.cap == 0 && n < JSON_BUF_FIRST)
		rc = buf_room(&b, JSON_BUF_FIRST - 1);
	if (rc == 0)
		rc = buf_room(&b, n);
	jb->p = b.p;
	jb->cap = b.cap;
	jb->oom = b.nomem;
	return rc;
}

/*
 * Makes room for n more bytes and a NUL. Called for every key and value
 * of a list page (thousands of times an answer), so the room already
 * there is checked here first: copying the fields out and back on each
 * call cost a tenth of hourglass-fcgi's time for an uncached page.
 */
static inline int
json_room(struct json_buf *jb, size_t n)
{
	if (!jb->oom && jb->cap - jb->len > n)
		return 0;
	return json_grow(jb, n);
}

void
json_buf_reserve(struct json_buf *b, size_t n)
{
	(void)json_room(b, n);
}

void
json_buf_raw(struct json_buf *b, const char *s, size_t len)
{
	if (json_room(b, len) == -1)
		return;
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void
json_buf_key(struct json_buf *b, const char *name, int comma)
{
	size_t	 n = strlen(name);
	char	*p;

	if (json_room(b, n + 4) == -1)
		return;
	p = b->p + b->len;
	if (comma)
		*p++ = ',';
	*p++ = '"';
	memcpy(p, name, n);
	p += n;
	*p++ = '"';
	*p++ = ':';
	*p = '\0';
	b->len = (size_t)(p - b->p);
}

/*
 * cJSON's print_string_ptr: '"', '\\' and the control characters are
 * escaped, the short escapes where JSON has one, else \u00XX in lower
 * case; every other byte (UTF-8, DEL) goes out as it is.
 */
void
json_buf_str(struct json_buf *b, const char *s)
{
	/* The bytes that end a run: those escaped, and the NUL. */
	static const unsigned char escaped[256] = {
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		['"'] = 1, ['\\'] = 1,
	};
	static const char	 hex[] = "0123456789abcdef";
	/* Pairs: a byte, and the letter of its short escape. */
	static const char	 short_esc[] = "\"\"\\\\\bb\ff\nn\rr\tt";
	const unsigned char	*u = (const unsigned char *)s;
	const char		*e;
	char			*p;
	size_t			 run;

	if (s == NULL) {
		json_buf_raw(b, "null", 4);
		return;
	}
	json_buf_raw(b, "\"", 1);
	for (;;) {
		for (run = 0; !escaped[u[run]]; run++)
			;
		/* The run, then an escape (6 at most) or the last '"'. */
		if (json_room(b, run + 6) == -1)
			return;
		p = b->p + b->len;
		memcpy(p, u, run);
		p += run;
		u += run;
		if (*u == '\0')
			break;
		*p++ = '\\';
		for (e = short_esc; *e != '\0' && *e != (char)*u; e += 2)
			;
		if (*e != '\0')
			*p++ = e[1];
		else {
			memcpy(p, "u00", 3);
			p[3] = hex[*u >> 4];
			p[4] = hex[*u & 0xf];
			p += 5;
		}
		b->len = (size_t)(p - b->p);
		u++;
	}
	*p++ = '"';
	*p = '\0';
	b->len = (size_t)(p - b->p);
}

/* Writes v's digits (and sign) to end back from it, with no printf:
 * most numbers here are counts. Returns where they begin. */
static char *
int_text(int64_t v, char *end)
{
	char		*p = end;
	uint64_t	 u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

void
json_buf_int(struct json_buf *b, int64_t v)
{
	char	 d[24], *p = int_text(v, d + sizeof(d));

	json_buf_raw(b, p, (size_t)(d + sizeof(d) - p));
}

/* Whether d is written as an integer: whole, within +-2^53, not -0. */
static int
num_is_int(double d)
{
	return fabs(d) <= JSON_INT_LIMIT && d == trunc(d) &&
	    (d != 0 || !signbit(d));
}

/*
 * cJSON's print_number (1.7.15 and after) writes "%1.15g" unless the
 * text reads back farther from d than a relative DBL_EPSILON, so that
 * 9000000000000001 went out as 9e+15: a parameter accepted was not the
 * one run. Here a whole number within +-2^53 is its digits, and any
 * other the shortest of "%.15g", "%.16g" and "%.17g" that reads back
 * as d exactly. -0 stays "-0". The server never calls setlocale(), so '.'
 * is the decimal point, for printf and strtod alike.
 */
size_t
json_num_text(double d, char s[JSON_NUM_MAX])
{
	char	*p, *end = s + JSON_NUM_MAX - 1;
	int	 n;

	if (isnan(d) || isinf(d))
		return (size_t)snprintf(s, JSON_NUM_MAX, "null");
	if (num_is_int(d)) {
		*end = '\0';
		p = int_text((int64_t)d, end);
		memmove(s, p, (size_t)(end - p) + 1);
		return (size_t)(end - p);
	}
	n = snprintf(s, JSON_NUM_MAX, "%.15g", d);
	if (strtod(s, NULL) != d)
		n = snprintf(s, JSON_NUM_MAX, "%.16g", d);
	if (strtod(s, NULL) != d)
		n = snprintf(s, JSON_NUM_MAX, "%.17g", d);
	return (size_t)n;
}

void
json_buf_num(struct json_buf *b, double d)
{
	char	 s[JSON_NUM_MAX];

	if (num_is_int(d))
		json_buf_int(b, (int64_t)d);
	else
		json_buf_raw(b, s, json_num_text(d, s));
}

/* Writes item and what it holds, as cJSON_PrintUnformatted() would but
 * for numbers (json_num_text). A string or name cJSON left NULL is "",
 * as cJSON prints it; an item of no type, or raw text of none, fails. */
static void
json_buf_item(struct json_buf *b, const cJSON *item)
{
	const cJSON	*c;

	switch (item->type & 0xff) {
	case cJSON_NULL:
		json_buf_raw(b, "null", 4);
		break;
	case cJSON_False:
		json_buf_raw(b, "false", 5);
		break;
	case cJSON_True:
		json_buf_raw(b, "true", 4);
		break;
	case cJSON_Number:
		json_buf_num(b, item->valuedouble);
		break;
	case cJSON_String:
		json_buf_str(b, item->valuestring != NULL ?
		    item->valuestring : "");
		break;
	case cJSON_Raw:
		if (item->valuestring == NULL)
			b->oom = 1;
		else
			json_buf_raw(b, item->valuestring,
			    strlen(item->valuestring));
		break;
	case cJSON_Array:
		json_buf_raw(b, "[", 1);
		for (c = item->child; c != NULL; c = c->next) {
			if (c != item->child)
				json_buf_raw(b, ",", 1);
			json_buf_item(b, c);
		}
		json_buf_raw(b, "]", 1);
		break;
	case cJSON_Object:
		json_buf_raw(b, "{", 1);
		for (c = item->child; c != NULL; c = c->next) {
			if (c != item->child)
				json_buf_raw(b, ",", 1);
			json_buf_str(b, c->string != NULL ? c->string : "");
			json_buf_raw(b, ":", 1);
			json_buf_item(b, c);
		}
		json_buf_raw(b, "}", 1);
		break;
	default:
		b->oom = 1;
	}
}

/* json_print's first allocation: most of what it prints (an event, a
 * task) fits, and it is given back to its length at the end. */
#define JSON_PRINT_FIRST	512

char *
json_print(const cJSON *item)
{
	struct json_buf	 b = { NULL, 0, 0, 0 };
	char		*p;

	if (item == NULL || (b.p = malloc(JSON_PRINT_FIRST)) == NULL)
		return NULL;
	b.cap = JSON_PRINT_FIRST;
	json_buf_item(&b, item);
	if (b.oom || b.len == 0) {
		free(b.p);
		return NULL;
	}
	/* Events and tasks are kept: each holds only its own text. */
	if (b.cap - b.len > 64 && (p = realloc(b.p, b.len + 1)) != NULL)
		b.p = p;
	return b.p;
}
