/*
 * Parameters typed by the kind's declaration: "total=50" becomes the
 * integer 50 because GET /api/kinds says total is an integer. A value
 * not of its type, a name the kind does not declare, or one given twice
 * is refused here, before anything is sent; ranges, patterns and
 * lengths are the service's to check (its 422 names the rule), and so
 * is a kind it does not offer: that kind's values go as strings, and
 * the service answers unknown_kind.
 */
#ifndef HG_CLI_PARAMS_H
#define HG_CLI_PARAMS_H

#include <stddef.h>

#include <cjson/cJSON.h>

/*
 * kinds: the answer of GET /api/kinds, borrowed. Finds kind in it and
 * types the n "name=value" strings of pairs by its "params". Returns a
 * new object the caller frees with cJSON_Delete(), or NULL with the
 * reason, naming the kind or the parameter, in err.
 */
cJSON	*params_type(const cJSON *kinds, const char *kind,
	    const char *const *pairs, size_t n, char *err, size_t errlen);

#endif
