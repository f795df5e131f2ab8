/*
 * bench/stamp: the start-latency task. The first thing it does is read
 * CLOCK_REALTIME and print it, so the task's log holds the moment its
 * program began to run, on the task's own clock:
 *
 *     STAMP <nanoseconds since the epoch>
 *
 * bench/bench.py compares it with the client's clock just before the
 * POST /api/tasks that created the task.
 */
#include <stdio.h>
#include <time.h>

int
main(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("STAMP %lld\n", (long long)ts.tv_sec * 1000000000LL +
	    ts.tv_nsec);
	return 0;
}
