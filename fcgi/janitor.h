/*
 * The janitor thread: lost runners, starting queued tasks, tasks
 * nobody watches, silent external tasks, retention.
 */
#ifndef HG_JANITOR_H
#define HG_JANITOR_H

#include <stddef.h>

/* Returns 0, or -1 with the reason in err. */
int	 janitor_start(char *err, size_t errlen);
/* Asks for a pass now (a task ended: a slot is free). Safe before
 * janitor_start() and after janitor_stop(). */
void	 janitor_kick(void);
/* Ends the thread, after its pass in progress. */
void	 janitor_stop(void);

#endif
