#ifndef HG_API_H
#define HG_API_H

#include "http.h"

/* Answers r: routes it to its handler. */
void	 api_handle(struct req *r);

#endif
