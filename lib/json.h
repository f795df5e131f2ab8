/*
 * JSON in and out, on top of cJSON.  Everything a client sends goes
 * through json_parse(), which refuses what cJSON would accept silently:
 * raw NUL bytes, "\u0000", invalid UTF-8, nesting past HG_JSON_DEPTH_MAX
 * and duplicate keys (cJSON keeps both; we would not know which wins).
 */
#ifndef HG_JSON_H
#define HG_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "hg.h"

/*
 * Parses exactly len bytes of buf. Returns a tree the caller frees with
 * cJSON_Delete(), or NULL with e set: 400 invalid_json with a message
 * saying what is wrong and where, or 503 unavailable when memory runs
 * out.
 */
cJSON	*json_parse(const char *buf, size_t len, struct hg_err *e);

/*
 * Keeps each number of more than 15 significant digits within every
 * member of doc named one of names (a list that ends with NULL), at any
 * depth, or anywhere in doc if names is NULL, as the text it came as (a
 * cJSON_Raw item), so that json_print() gives it back unchanged: a
 * double holds 15 digits for certain, and 9007199254740993 or a time
 * stamp in nanoseconds would go out as another number. doc is the tree
 * of the len bytes of buf. Such an item is no longer a number to
 * cJSON_IsNumber(). Returns 0, or -1 without memory (doc stays whole).
 */
int	 json_keep_digits(cJSON *doc, const char *const *names,
	    const char *buf, size_t len);

/* Returns 0 if the len bytes at s are valid UTF-8 (no overlongs, no
 * surrogates, nothing past U+10FFFF), else -1. */
int	 json_utf8_valid(const char *s, size_t len);

/* Counts the code points of valid UTF-8 s. */
size_t	 json_utf8_len(const char *s);

/* 2^53 - 1, the largest integer json_int() takes: a double read as 2^53
 * may have been 2^53 + 1 in the text. */
#define JSON_INT_SAFE	9007199254740991.0

/*
 * Reads a number that must be a whole value within +-(2^53 - 1), where
 * a double holds the very number the text gave. Returns 0 and sets *v,
 * or -1. cJSON's valueint clamps, so it is never used.
 */
int	 json_int(const cJSON *item, int64_t *v);

/* Adds an exact 64-bit integer (cJSON prints large doubles with an
 * exponent). Returns the new item or NULL on allocation failure. */
cJSON	*json_add_int(cJSON *obj, const char *name, int64_t v);

/* Adds s as a string, or null if s is NULL. */
cJSON	*json_add_str_or_null(cJSON *obj, const char *name, const char *s);

/* Prints item unformatted, as cJSON does but for numbers: each reads
 * back exactly (json_num_text). Returns a malloc'd string, caller
 * frees; NULL on allocation failure. */
char	*json_print(const cJSON *item);

/* Room for any number's text and its NUL. */
#define JSON_NUM_MAX	32

/* Writes d's JSON text into s: a whole number within +-2^53 as its
 * digits, any other as the shorter of "%.15g" and "%.17g" that reads
 * back as d exactly, "null" for NaN and the infinities. Returns its
 * length. */
size_t	 json_num_text(double d, char s[JSON_NUM_MAX]);

/*
 * JSON text written straight into a growing buffer, byte for byte what
 * json_print() gives for the same values: for a list page, where
 * building the tree and printing it cost more than the query. Start
 * from all zeros. A failed allocation sets oom and makes every later
 * write do nothing, so a writer checks once, at the end. p is
 * NUL-terminated once anything is written; the caller frees it. It
 * grows as a struct buf (buf.h) does, with the fields named as before.
 */
struct json_buf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

/* Makes room for n more bytes in one allocation, for a writer that
 * knows about how many it will write; it grows past them as needed. */
void	 json_buf_reserve(struct json_buf *b, size_t n);
/* Appends len bytes of JSON text as they are. */
void	 json_buf_raw(struct json_buf *b, const char *s, size_t len);
/* Appends "name": (a name that needs no escaping), after a comma if
 * comma is set. */
void	 json_buf_key(struct json_buf *b, const char *name, int comma);
/* Appends s as a string, escaped as cJSON escapes it; null if NULL. */
void	 json_buf_str(struct json_buf *b, const char *s);
/* Appends an exact integer, as json_add_int() gives it. */
void	 json_buf_int(struct json_buf *b, int64_t v);
/* Appends d as json_num_text() writes it. */
void	 json_buf_num(struct json_buf *b, double d);

#endif
