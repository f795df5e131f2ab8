#ifndef HG_DELIVERIES_H
#define HG_DELIVERIES_H

#include "http.h"

/* GET /api/webhooks/deliveries?state=pending|delivered|failed: the
 * newest HG_HOOK_LIST_MAX deliveries, newest first; another state is
 * 400 invalid_request. */
void	 deliveries_serve(struct req *r);

#endif
