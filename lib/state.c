#include <stddef.h>
#include <string.h>

#include "state.h"

/* Indexed by enum task_state; the names of the SPEC and of the CHECK on
 * tasks.state (sql/001, sql/011). */
static const char *const names[] = {
	[TASK_QUEUED] = "queued",
	[TASK_RUNNING] = "running",
	[TASK_STOPPING] = "stopping",
	[TASK_RETRYING] = "retrying",
	[TASK_SUCCEEDED] = "succeeded",
	[TASK_FAILED] = "failed",
	[TASK_CANCELED] = "canceled",
	[TASK_LOST] = "lost",
};

#define NSTATES	((int)(sizeof(names) / sizeof(names[0])))

const char *
state_name(enum task_state state)
{
	return (int)state > 0 && (int)state < NSTATES ? names[state] : NULL;
}

int
state_parse(const char *s)
{
	int	 i;

	if (s == NULL)
		return -1;
	for (i = 1; i < NSTATES; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int
state_active(enum task_state state)
{
	return state == TASK_QUEUED || state == TASK_RUNNING ||
	    state == TASK_STOPPING || state == TASK_RETRYING;
}

int
state_final(enum task_state state)
{
	return state == TASK_SUCCEEDED || state == TASK_FAILED ||
	    state == TASK_CANCELED || state == TASK_LOST;
}
