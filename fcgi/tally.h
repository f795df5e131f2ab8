/*
 * What only this process counts, for GET /api/metrics: requests by the
 * status of their answers, and SSE streams open. Below http.c and sse.c,
 * which count, and metrics.c, which reads.
 */
#ifndef HG_TALLY_H
#define HG_TALLY_H

/* An array's bound, not a limit: HTTP statuses are three digits, and
 * status_text() in http.c knows none past 599. */
#define TALLY_CODES	600

/* Counts a request answered with status. */
void	 tally_request(int status);
/* Requests answered with status so far. */
long	 tally_requests(int status);
/* Counts an SSE stream in (1) or out (-1). */
void	 tally_sse(int delta);
/* SSE streams open now. */
long	 tally_sse_clients(void);

#endif
