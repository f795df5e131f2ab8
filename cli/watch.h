/*
 * Following a task's event stream to its end: watch, start --follow
 * and logs --follow. It reconnects with Last-Event-ID when the stream
 * drops or the service is down for a while, and prints no event twice.
 */
#ifndef HG_CLI_WATCH_H
#define HG_CLI_WATCH_H

#include <stdint.h>

#include "http.h"

/* The first wait before a reconnect, doubled each time up to the
 * stream's "retry:" (2 s from this service) or WATCH_BACKOFF_MAX_MS. */
#define WATCH_BACKOFF_MS	250
#define WATCH_BACKOFF_MAX_MS	5000
/* How long watch keeps trying without reaching the service, unless
 * HOURGLASS_RETRY_S says otherwise. */
#define WATCH_GIVEUP_S		60

/* The exit status after Ctrl-C, as a shell gives for SIGINT. */
#define WATCH_INTERRUPTED	130

enum watch_mode {
	WATCH_BAR,		/* a live bar redrawn in place (a terminal) */
	WATCH_JSON,		/* one event a line, as JSON */
	WATCH_LOGS,		/* the log lines, as text */
	WATCH_LOGS_JSON		/* the log events, as JSON lines */
};

/*
 * Follows task id until it ends, giving up after giveup_s seconds
 * without an answer. Returns the exit status: 0 succeeded, 1 failed,
 * 3 canceled, 4 lost, 5 refused (told on stderr), 69 unreachable,
 * WATCH_INTERRUPTED after SIGINT.
 */
int	watch_run(struct http *h, int64_t id, enum watch_mode mode,
	    int64_t giveup_s);

#endif
