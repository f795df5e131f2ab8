/*
 * What the files of lib/kinds/ share and callers need not see: a
 * parameter's declaration, and the few functions one file of the module
 * calls in another (named kinds__, private, like libuv's uv__). Code in
 * lib/kinds/ flows one way: load.c calls params.c and public.c; neither
 * calls back, and command.c stands alone.
 */
#ifndef HG_KINDS_INT_H
#define HG_KINDS_INT_H

#include <regex.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "kinds.h"

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

/*
 * params.c. Checks one value against p, for a client's params and for a
 * declared default alike. On error writes the rule broken to msg,
 * without the "params.x: " prefix, and returns -1; else returns 0.
 */
int	kinds__value_check(const struct param *p, const cJSON *v, char *msg,
	    size_t len);

/*
 * params.c. Write the rule a refused string states, "must be one of
 * "a", "b"" for the array of strings enums, "must match <pattern>", to
 * msg, cut to len as snprintf does (msg may be NULL when len is 0).
 * Return the length of the whole rule, so that the loader can refuse
 * one longer than HG_KIND_RULE_MAX.
 */
size_t	kinds__enum_rule(const cJSON *enums, char *msg, size_t len);
size_t	kinds__pattern_rule(const char *pattern, char *msg, size_t len);

/*
 * public.c. Renders the body of GET /api/kinds into ks->public_json
 * (malloc'd, freed by kinds_free) and ks->public_len, from the
 * document and the loaded kinds. Returns -1 when memory runs out.
 */
int	kinds__render(struct kinds *ks);

#endif
