/*
 * The runner's signals, at the bottom of the runner: SIGTERM is the
 * server's stop request, SIGCHLD a command's end. The handler only sets
 * a flag; the waits that read the flags are above.
 */
#ifndef HG_SIGNALS_H
#define HG_SIGNALS_H

#include <signal.h>
#include <stdint.h>

/* Set by the handler; SIGTERM is the server's stop request. One the
 * server queued for another task (a task this process ran before) is
 * ignored. Cleared by signals_begin() and by whoever has read them. */
extern volatile sig_atomic_t	signals_stop;
extern volatile sig_atomic_t	signals_child;

/*
 * Sets the handlers up: SIGTERM and SIGCHLD blocked but inside waits
 * (ppoll with *unblocked, the mask it fills), SIGPIPE, SIGHUP and SIGINT
 * ignored. Can't fail.
 */
void	signals_init(sigset_t *unblocked);
/* The signals whose disposition is not the default after
 * signals_init() (*n of them): what a child must reset before it may
 * unblock signals. Dispositions are set there, and nowhere else. */
const int *signals_set(size_t *n);
/* Task id starts: the flags are cleared, and a queued SIGTERM stops it
 * only if it carries id. */
void	signals_begin(int64_t id);
/* The task has ended: a queued SIGTERM stops nothing until the next. */
void	signals_end(void);

#endif
