/*
 * What the runner's parts share: the task being run, its coalesced
 * progress and buffered log lines, and the signals that interrupt waits.
 */
#ifndef HG_RUNNER_H
#define HG_RUNNER_H

#include <signal.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "kinds.h"
#include "store.h"
#include "taskfiles.h"

#define RUNNER_LOG_BATCH	512	/* log lines written in one go */
#define RUNNER_LINE_MAX		HG_LINE_MAX

struct runner {
	struct config	 cfg;
	struct store	*st;
	int64_t		 id;
	int		 notify_fd;
	int64_t		 proc_start;	/* its /proc start time, recorded */
	sigset_t	 unblocked;	/* the signal mask for waits */
	/* Progress not yet written, and when the last write was. */
	struct progress	 cur;
	char		 msg[HG_MSG_MAX];
	int		 pending;
	int64_t		 last_write;	/* monotonic ms; 0: never */
	int64_t		 next_stop_check;
	/* The log: a file, capped; its lines also become log events. */
	struct taskfiles_log log;	/* opened with the first line */
	int		 log_opened;
	struct logline	 lines[RUNNER_LOG_BATCH];
	size_t		 nlines;
};

/* Set by signal handlers; SIGTERM is the server's stop request. One the
 * server queued for another task (a task this process ran before) is
 * ignored. */
extern volatile sig_atomic_t	runner_stop_signal;
extern volatile sig_atomic_t	runner_child_signal;

/* Reports progress; written at once after a quiet spell, else at most
 * every HG_PROGRESS_MS. msg may be NULL (keeps no message). */
void	runner_progress(struct runner *r, double value, double total,
	    const char *msg);
/* Writes pending progress and log lines if their time has come (all, if
 * force). Returns the monotonic ms of the next write due, or INT64_MAX. */
int64_t	runner_flush(struct runner *r, int force);
/* Appends a line (valid UTF-8) to the log file and the log events. */
void	runner_log(struct runner *r, const char *stream, const char *line);
/* 1 if a stop was asked: by signal, or by the stop flag, which is read
 * from the database at most every HG_STOP_POLL_MS. */
int	runner_stop_asked(struct runner *r);

/*
 * Opens what a runner needs before it takes a task, the database and the
 * socket that tells the server of changes, with r->cfg set and the rest
 * zeroed, and sets the signals up (SIGTERM and SIGCHLD blocked but in
 * waits). -1 with err set if the database cannot be opened.
 */
int	runner_open(struct runner *r, char *err, size_t errlen);
/*
 * Runs task r->id, with r opened (runner_open) and r->id set, until it
 * ends and its end is recorded. Returns 0, or 1 if the task could not be
 * taken or its end could not be recorded. r stays open for another task.
 */
int	runner_run(struct runner *r);
/* Closes what runner_open opened. */
void	runner_close(struct runner *r);
/* A line on stderr (<data>/runner.log), naming r's task. */
void	runner_warn(struct runner *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * hourglass-runner --host: hands each task id received on
 * <data>/runner.sock to an idle runner, or forks one, until stdin
 * closes. title is the argument's room, where each runner writes its
 * task id for ps.
 */
int	host_main(char *title);

/*
 * Runs command kind k with checked params until it ends, and fills *o
 * (its strings point into msg). unblocked is the signal mask for waits.
 */
void	command_run(struct runner *r, const struct kind *k,
	    const cJSON *params, const sigset_t *unblocked,
	    struct outcome *o, char *msg, size_t msglen);

#endif
