/*
 * <data>/runner.log: the runners' own diagnostics, the stderr of every
 * runner and of the runner host (launch.c opens it for them). It is
 * kept under a cap: past HOURGLASS_RUNNER_LOG_MAX bytes it is renamed
 * runner.log.1 (the one before that goes) and a new one begins. The
 * rotation is done under an flock(2) of <data>/runner.log.lock, by the
 * writer whose line would pass the cap; every other process whose fd 2
 * is the rotated file reopens runner.log before its next line.
 */
#ifndef HG_RUNLOG_H
#define HG_RUNLOG_H

#include <stdarg.h>

#include "config.h"

/*
 * In a runner or the host, once c is loaded: notes whether fd 2 is
 * runner.log (or the file rotated from it), which runlog_printf() then
 * keeps under the cap. Otherwise (a terminal) lines go to fd 2 as they
 * are. Copies what it needs from c. Can't fail.
 */
void	runlog_open(const struct config *c);
/*
 * Writes one line (a '\n' is added), cut at HG_RUNNER_LOG_LINE bytes
 * with "..." at the cut, in one write(2) to fd 2, rotating runner.log
 * first if the line would take it past the cap. Before runlog_open(),
 * or if fd 2 is not runner.log, it just writes to fd 2. Returns 0, or -1
 * if the line was not written whole (a full disk): the caller may say it
 * elsewhere. Not thread-safe; a runner has one thread.
 */
int	runlog_printf(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
int	runlog_vprintf(const char *fmt, va_list ap)
	    __attribute__((format(printf, 1, 0)));
/*
 * Rotates <c->data>/runner.log if it has reached the cap, for a process
 * about to start a runner on it (launch.c): its O_APPEND would otherwise
 * go on growing a log that only something other than runlog_printf()
 * (a sanitizer's report) took past the cap. Touches no fd of the
 * caller's. Thread-safe. Can't fail; a failed rename leaves the log.
 */
void	runlog_rotate(const struct config *c);

#endif
