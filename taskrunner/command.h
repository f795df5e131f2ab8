/*
 * The command kinds: an operator's program, run with execve in a process
 * group of its own, its output read line by line.
 */
#ifndef HG_COMMAND_H
#define HG_COMMAND_H

#include <signal.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "hg.h"
#include "kinds.h"
#include "outbox.h"
#include "store.h"

/* What a command's output said of its end: a complete line. */
struct cmd_end {
	int	 complete;	/* a complete line came */
	int	 code;
	char	 msg[HG_MSG_MAX];
};

/*
 * One stdout line of a command kind k (valid UTF-8): progress, a data
 * item or the result go to ob, a complete line to *end. Returns 1 when
 * it was one of those (or refused, and logged), 0 for a log line that
 * the caller logs.
 */
int	command_stdout_line(struct outbox *ob, const struct kind *k,
	    struct cmd_end *end, const char *line);

/*
 * The environment of command kind k's program: PATH, extra ("NAME=value",
 * or NULL: none), the kind's env, the task's id and params. Returns a
 * malloc'd array (kinds_argv_free), or NULL when memory runs out.
 */
char	**command_env(const struct kind *k, int64_t id, const cJSON *params,
	    const char *extra);

/*
 * The folder command kind k runs in: its cwd, a relative one taken from
 * the data folder of cfg (so that in the container it lives on the data
 * volume), into buf. Returns buf, NULL when the kind has none (the
 * task's own folder then), or "" when the path does not fit.
 */
const char *command_cwd(const struct kind *k, const struct config *cfg,
	    char *buf, size_t len);

/*
 * The outcome of a command kind k's task that its stop (stopping, by
 * its timeout if timedout) or its complete line decides: fills *o (its
 * message in msg) and returns 1; else returns 0 with *o succeeded, for
 * the caller to decide from how the program ended.
 */
int	command_outcome_said(struct outbox *ob, const struct kind *k,
	    const struct cmd_end *end, int stopping, int timedout,
	    struct outcome *o, char *msg, size_t msglen);

/*
 * Runs command kind k with checked params for ob's task until it ends,
 * reporting to ob, and fills *o (its strings point into msg, msglen
 * bytes, or are static). unblocked is the signal mask for waits.
 */
void	command_run(struct outbox *ob, const struct kind *k,
	    const cJSON *params, const sigset_t *unblocked,
	    struct outcome *o, char *msg, size_t msglen);

#endif
