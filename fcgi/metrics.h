/*
 * GET /api/metrics, and what only this process counts: requests by
 * status and open SSE streams. Above http.c, which counts nothing.
 */
#ifndef HG_METRICS_H
#define HG_METRICS_H

#include "http.h"

void	 metrics_serve(struct req *r);
/* Counts an answered request; called once, as it ends. */
void	 metrics_request(int status);
/* Counts an SSE stream in (1) or out (-1). */
void	 metrics_sse(int delta);

#endif
