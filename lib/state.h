/*
 * A task's state. Inside the program it is this enum; it is a string
 * only at the edges, in JSON and in SQL (the tasks.state column), where
 * state_name() and state_parse() turn one into the other.
 *
 * The values start at 1, so that a zeroed field means "no state": an
 * event that is not a state event, a list that is not filtered.
 */
#ifndef HG_STATE_H
#define HG_STATE_H

enum task_state {
	TASK_QUEUED = 1,
	TASK_RUNNING,
	TASK_STOPPING,
	TASK_RETRYING,		/* an attempt failed; the next waits */
	TASK_SUCCEEDED,
	TASK_FAILED,
	TASK_CANCELED,
	TASK_LOST
};

/* The contract's spelling ("queued"), or NULL for a value that is not a
 * state (0 among them). Static storage; never freed. */
const char	*state_name(enum task_state state);
/* The state named s, or -1 if s is NULL or names none. */
int		 state_parse(const char *s);
/* 1 while a task may still change: queued, running, stopping,
 * retrying. */
int		 state_active(enum task_state state);
/* 1 once it has ended: succeeded, failed, canceled, lost. */
int		 state_final(enum task_state state);

#endif
