/*
 * The runner's own diagnostics: one line each on stderr, which is
 * <data>/runner.log for a runner the server started, kept under its cap
 * by lib/runlog.
 */
#ifndef HG_WARN_H
#define HG_WARN_H

#include <stdint.h>

/* A line naming task id (0: none yet). Can't fail; a failed write is
 * lost. */
void	warn_task(int64_t id, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
