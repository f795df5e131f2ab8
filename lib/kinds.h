/*
 * The task kinds of kinds.json: loaded and checked once at start, then
 * read-only, so every thread may share one struct kinds.
 */
#ifndef HG_KINDS_H
#define HG_KINDS_H

#include <regex.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "hg.h"

enum param_type {
	PARAM_INTEGER,
	PARAM_NUMBER,
	PARAM_STRING,
	PARAM_BOOLEAN
};

struct param {
	const char	*name;		/* borrowed from the kinds document */
	enum param_type	 type;
	int		 has_min, has_max;
	double		 min, max;
	size_t		 max_length;	/* code points; 0: no limit */
	const char	*pattern;	/* POSIX ERE or NULL */
	regex_t		 re;
	const cJSON	*enums;		/* array of strings or NULL */
	const cJSON	*def;		/* default or NULL: required */
};

enum builtin {
	BUILTIN_NONE,
	BUILTIN_COUNT
};

struct kind {
	const char	*name;
	const char	*description;	/* "" when not given */
	enum builtin	 builtin;
	struct param	*params;
	size_t		 nparams;
};

struct kinds {
	cJSON		*doc;		/* owns every string above */
	struct kind	*v;
	size_t		 n;
	char		*public_json;	/* the body of GET /api/kinds */
	size_t		 public_len;
};

/*
 * Loads and checks path. On error returns NULL and writes to err a
 * message that names the file, the kind and the field:
 *   kinds.json: kind "count": params.total.min: must be a number
 * Free with kinds_free().
 */
struct kinds	*kinds_load(const char *path, char *err, size_t errlen);
/* Frees k and all it owns; NULL is fine. */
void		 kinds_free(struct kinds *k);
/* Returns the kind called name (borrowed from k) or NULL. */
const struct kind *kinds_find(const struct kinds *k, const char *name);
/* Returns the declared parameter called name, or NULL. */
const struct param *kind_param(const struct kind *k, const char *name);

/*
 * Checks a client's params (an object, or NULL/null when left out)
 * against k. Returns a new object holding every declared parameter in
 * declaration order, defaults filled in (caller frees), or NULL with e
 * set: 422 invalid_params, "params.total: must be an integer from 1 to
 * 1000000"; 503 on allocation failure.
 */
cJSON		*kinds_params_check(const struct kind *k, const cJSON *params,
		    struct hg_err *e);

#endif
