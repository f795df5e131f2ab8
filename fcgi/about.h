#ifndef HG_ABOUT_H
#define HG_ABOUT_H

#include "http.h"

/* GET /api/health: 200 {"status":"ok"}, or 503 if the database is not
 * usable. */
void	 about_health(struct req *r);
/* GET /api/kinds: the kinds and their parameters, as loaded. */
void	 about_kinds(struct req *r);
/* GET /api/openapi.json: this API as an OpenAPI 3.1 document. */
void	 about_openapi(struct req *r);

#endif
