/*
 * What the service says about itself: whether it can serve (GET
 * /api/health), the kinds of task it runs (GET /api/kinds) and its API
 * (GET /api/openapi.json).
 */
#include "about.h"
#include "pool.h"
#include "server.h"
#include "store.h"

void
about_health(struct req *r)
{
	struct store	*st;
	struct hg_err	 e;
	char		 why[160];
	static const char ok[] = "{\"status\":\"ok\"}";

	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	if (store_ping(st) == -1)
		reply_errf(r, 503, "unavailable", "the database is not "
		    "usable");
	else if (store_failing(why, sizeof(why)))
		/* Reads work; writes, the last tried, did not. */
		reply_errf(r, 503, "unavailable", "the database cannot be "
		    "written: %s", why);
	else
		reply(r, 200, NULL, JSON_TYPE, ok, sizeof(ok) - 1);
	pool_put(st);
}

void
about_kinds(struct req *r)
{
	reply(r, 200, NULL, JSON_TYPE, srv.kinds->public_json,
	    srv.kinds->public_len);
}

/* The document, built in from docs/openapi.json (scripts/embed-text.sh). */
extern const char	openapi_json[];
extern const size_t	openapi_json_len;

void
about_openapi(struct req *r)
{
	reply(r, 200, NULL, JSON_TYPE, openapi_json, openapi_json_len);
}
