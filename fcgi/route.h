#ifndef HG_ROUTE_H
#define HG_ROUTE_H

#include "http.h"

/* Answers r: checks its token and method and calls its handler, or
 * answers 401, 404 or 405 itself. */
void	 route_request(struct req *r);

#endif
