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

/* Returns 0 if the len bytes at s are valid UTF-8 (no overlongs, no
 * surrogates, nothing past U+10FFFF), else -1. */
int	 json_utf8_valid(const char *s, size_t len);

/* Counts the code points of valid UTF-8 s. */
size_t	 json_utf8_len(const char *s);

/*
 * Reads a number that must be a whole value within +-2^53 (where a
 * double is exact). Returns 0 and sets *v, or -1. cJSON's valueint
 * clamps, so it is never used.
 */
int	 json_int(const cJSON *item, int64_t *v);

/* Adds an exact 64-bit integer (cJSON prints large doubles with an
 * exponent). Returns the new item or NULL on allocation failure. */
cJSON	*json_add_int(cJSON *obj, const char *name, int64_t v);

/* Adds s as a string, or null if s is NULL. */
cJSON	*json_add_str_or_null(cJSON *obj, const char *name, const char *s);

/* Prints item unformatted. Returns a malloc'd string, caller frees;
 * NULL on allocation failure. */
char	*json_print(const cJSON *item);

#endif
