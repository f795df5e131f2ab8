#include <stdatomic.h>

#include "tally.h"

static atomic_long	 requests[TALLY_CODES];	/* by HTTP status */
static atomic_long	 sse_clients;

void
tally_request(int status)
{
	if (status >= 100 && status < TALLY_CODES)
		atomic_fetch_add(&requests[status], 1);
}

long
tally_requests(int status)
{
	return status >= 100 && status < TALLY_CODES ?
	    atomic_load(&requests[status]) : 0;
}

void
tally_sse(int delta)
{
	atomic_fetch_add(&sse_clients, delta);
}

long
tally_sse_clients(void)
{
	return atomic_load(&sse_clients);
}
