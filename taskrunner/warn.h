/*
 * The runner's own diagnostics: one line each on stderr, which is
 * <data>/runner.log for a runner the server started, kept under its cap
 * by lib/runlog; and, when runner.log cannot take a line (its disk
 * full), or for the lines that must be seen, on the server's own stderr
 * too (HG_SERVER_ERR_FD: what `make run` shows and `docker logs` keeps).
 */
#ifndef HG_WARN_H
#define HG_WARN_H

#include <stdint.h>

/*
 * At start, before any line: takes HG_SERVER_ERR_FD as the server's
 * stderr if it is open (launch.c hands it down), and ignores SIGPIPE,
 * so that a server gone harms nothing. Returns that descriptor, or -1.
 * Can't fail; a second call does the same again.
 */
int	warn_open(void);

/* A line naming task id (0: none yet), to runner.log, and to the
 * server's stderr if runner.log did not take it whole. Can't fail; a
 * failed write is lost. */
void	warn_task(int64_t id, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The same, to the server's stderr whatever runner.log took: for what
 * must be seen even when the data disk is full (an end that cannot be
 * recorded). */
void	warn_task_loud(int64_t id, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
