/*
 * What the service says about itself: whether it can serve (GET
 * /api/health) and the kinds of task it runs (GET /api/kinds).
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
	static const char ok[] = "{\"status\":\"ok\"}";

	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	if (store_ping(st) == -1)
		reply_errf(r, 503, "unavailable", "the database is not "
		    "usable");
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
