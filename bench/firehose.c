/*
 * bench/firehose N RATE: the data-item load. Writes N data items, RATE a
 * second, on an absolute schedule of one batch per millisecond (so that
 * the rate does not drift with the time each write takes):
 *
 *     {"name":"n","data":<i>}
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int
main(int argc, char *argv[])
{
	struct timespec	 at;
	long long	 next;
	long		 n, rate, i = 0, due;
	int		 ms = 0;

	if (argc != 3 || (n = atol(argv[1])) < 1 ||
	    (rate = atol(argv[2])) < 1) {
		fprintf(stderr, "usage: firehose N RATE\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &at);
	next = (long long)at.tv_sec * 1000000000LL + at.tv_nsec;
	while (i < n) {
		/* The items due by the end of this millisecond. */
		due = (long)((long long)++ms * rate / 1000);
		for (; i < n && i < due; i++)
			printf("{\"name\":\"n\",\"data\":%ld}\n", i + 1);
		fflush(stdout);
		next += 1000000LL;
		at.tv_sec = next / 1000000000LL;
		at.tv_nsec = next % 1000000000LL;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at,
		    NULL) != 0)
			;
	}
	return 0;
}
