#ifndef HG_ROUTE_H
#define HG_ROUTE_H

#include <stdio.h>

#include "http.h"

/* Answers r: checks its token and method and calls its handler, or
 * answers 401, 404 or 405 itself. */
void	 route_request(struct req *r);
/* Prints every route the server answers, a line each: "GET
 * /api/tasks/{id}" (HEAD after each GET). Can't fail. */
void	 route_list(FILE *f);

#endif
