/*
 * GET /api/metrics: the task counts and counters SQLite keeps, and what
 * only this process counts (tally.h).
 */
#ifndef HG_METRICS_H
#define HG_METRICS_H

#include "http.h"

void	 metrics_serve(struct req *r);

#endif
