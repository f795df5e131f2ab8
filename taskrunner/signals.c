#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "signals.h"

volatile sig_atomic_t	signals_stop;
volatile sig_atomic_t	signals_child;

/*
 * The task this process runs; 0 between tasks. The handler reads it only
 * inside a wait, where SIGTERM is unblocked and it does not change.
 */
static volatile int64_t	signal_task;

/* The signals not at their default disposition once set up: handled,
 * ignored here, or ignored by whoever started this process. */
static int		set_sigs[NSIG];
static size_t		nset;

/*
 * The server queues its SIGTERM with the task's id (sigqueue), as the
 * same process runs one task after another: a stop that comes late, for
 * a task that has ended, must not stop the next. A SIGTERM from anyone
 * else (kill) stops whatever runs, or ends a runner that waits.
 */
static void
on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGCHLD)
		signals_child = 1;
	else if (si->si_code != SI_QUEUE ||
	    (int64_t)(intptr_t)si->si_value.sival_ptr == signal_task)
		signals_stop = 1;
}

void
signals_init(sigset_t *unblocked)
{
	struct sigaction	 sa;
	sigset_t		 block;
	int			 sig;

	/* Both are blocked but inside ppoll (see outbox_wait), so one
	 * that arrives at any moment ends the next wait at once. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, unblocked);
	sigdelset(unblocked, SIGTERM);
	sigdelset(unblocked, SIGCHLD);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	/* Read once here, where they are set, rather than at every spawn:
	 * that is 64 system calls a command start spares. */
	nset = 0;
	for (sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_DFL)
			set_sigs[nset++] = sig;
}

const int *
signals_set(size_t *n)
{
	*n = nset;
	return set_sigs;
}

void
signals_begin(int64_t id)
{
	signals_stop = 0;
	signals_child = 0;
	signal_task = id;
}

void
signals_end(void)
{
	signal_task = 0;
}
