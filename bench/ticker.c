/*
 * bench/ticker N MS: the progress-latency task. Reports N progress
 * lines, MS milliseconds apart (on an absolute schedule, so the spacing
 * does not drift), each carrying the moment it was written:
 *
 *     PROGRESS <i>/<N> <nanoseconds since the epoch, CLOCK_REALTIME>
 *
 * The runner records it as the progress message, and an SSE client
 * compares it with its own clock when the event arrives. The runner
 * coalesces progress to one write per 50 ms, so MS must exceed 50 for
 * every value to be an event of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long
now_ns(clockid_t c)
{
	struct timespec	 ts;

	clock_gettime(c, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char *argv[])
{
	struct timespec	 at;
	long long	 next;
	long		 n, ms, i;

	if (argc != 3 || (n = atol(argv[1])) < 1 || (ms = atol(argv[2])) < 0) {
		fprintf(stderr, "usage: ticker N MS\n");
		return 2;
	}
	next = now_ns(CLOCK_MONOTONIC);
	for (i = 1; i <= n; i++) {
		printf("PROGRESS %ld/%ld %lld\n", i, n, now_ns(CLOCK_REALTIME));
		fflush(stdout);
		if (i == n)
			break;
		next += ms * 1000000LL;
		at.tv_sec = next / 1000000000LL;
		at.tv_nsec = next % 1000000000LL;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at,
		    NULL) != 0)
			;
	}
	return 0;
}
