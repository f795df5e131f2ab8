/*
 * The webhook deliveries' handler: what was sent, what waits, what
 * failed. It answers with or without HOURGLASS_WEBHOOK_URL (an empty
 * list then, or what an earlier configuration left).
 */
#include <stdlib.h>
#include <string.h>

#include "deliveries.h"
#include "pool.h"

void
deliveries_serve(struct req *r)
{
	struct store	*st;
	struct hg_err	 e;
	enum hook_state	 state = 0;
	char		 v[16], *body = NULL;
	size_t		 len;
	int		 rc;

	if ((rc = req_arg(r, "state", v, sizeof(v))) == 1) {
		state = strcmp(v, "pending") == 0 ? HOOK_PENDING :
		    strcmp(v, "delivered") == 0 ? HOOK_DELIVERED :
		    strcmp(v, "failed") == 0 ? HOOK_FAILED : 0;
	}
	if (rc == -1 || (rc == 1 && state == 0)) {
		reply_errf(r, 400, "invalid_request", "state: must be one of "
		    "pending, delivered, failed");
		return;
	}
	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	rc = store_hook_list(st, state, HG_HOOK_LIST_MAX, &body, &len, &e);
	pool_put(st);
	if (rc == -1)
		reply_err(r, NULL, &e);
	else
		reply(r, 200, NULL, JSON_TYPE, body, len);
	free(body);
}
