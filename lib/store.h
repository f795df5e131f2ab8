/*
 * The SQLite store: tasks and their events. One struct store per thread
 * (a connection and its prepared statements); never shared. Every write
 * is one short BEGIN IMMEDIATE transaction that also records the events
 * it causes, so a task's row and its event stream never disagree.
 *
 * Errors are filled into a struct hg_err: 404 not_found, 409 not_active
 * and still_active, and 503 unavailable when the database is busy past
 * HG_BUSY_MS or broken.
 */
#ifndef HG_STORE_H
#define HG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "hg.h"
#include "state.h"

struct store;
struct objcache;

/*
 * Opens the database at path, in WAL mode with a busy timeout. With
 * migrate set, applies the migrations of sql/ that it lacks; without, it
 * refuses a database whose schema is not the one this build knows. On
 * error returns NULL and writes the reason to err. Free with
 * store_close().
 */
struct store	*store_open(const char *path, int migrate, char *err,
		    size_t errlen);
/* Closes st; NULL is fine. */
void		 store_close(struct store *st);
/* Returns 0 if a trivial query works, else -1 (for /api/health). */
int		 store_ping(struct store *st);
/* Whether this process's last call to the database failed for a reason
 * that waiting does not mend (a full disk, an I/O error, a file it may
 * not write), within HG_DB_FAILING_MS and with no write committed since:
 * 1 with SQLite's words in msg, else 0 (for /api/health, which a read
 * alone cannot tell). */
int		 store_failing(char *msg, size_t len);
/* List pages read with st write the tasks' objects that c keeps, and
 * keep those they read (objcache.h); c is borrowed, shared by the
 * threads' stores. NULL: none. */
void		 store_keep_objects(struct store *st, struct objcache *c);
/* Gives back what st's page cache holds and no statement uses: a
 * runner that wrote a busy task's thousands of events keeps none of
 * them for the next task. */
void		 store_release_memory(struct store *st);

/*
 * Creates a queued task and its first state event. name may be NULL;
 * params is JSON text (borrowed). On success sets *task to the task
 * object (caller frees).
 */
int	store_task_create(struct store *st, const char *kind,
	    const char *name, const char *params, cJSON **task,
	    struct hg_err *e);

#define STORE_HASH_LEN	32	/* SHA-256 of a report token */

/* What a create may also ask. */
/* How many tasks of a kind may run at once (0: no limit of its own). */
typedef int (*kind_limit_fn)(void *arg, const char *kind);

/* What store_sched_take() takes, and what it took: ids[0..n). */
struct sched {
	int		 max_running;
	kind_limit_fn	 limit;
	void		*arg;
	int64_t		*ids;
	int		 cap;
	int		 n;
	int		 promoted;	/* retrying tasks made queued */
	/* 1 for a kind whose tasks run as Slurm jobs: they hold no slot
	 * of max_running (their kind's limit still bounds them). NULL:
	 * none. */
	kind_limit_fn	 slurm;
};

struct create_opts {
	const char	*idem_key;	/* Idempotency-Key, or NULL */
	/* Also takes queued tasks to start (store_sched_take), in the
	 * create's own transaction; NULL: none. */
	struct sched	*sched;
	int		 max_queued;	/* 429 queue_full at this; 0: none */
	int64_t		 watch_ms;	/* runs while watched; 0: always */
	/* External: runs elsewhere and reports; report_hash is the
	 * SHA-256 of its token (STORE_HASH_LEN bytes, borrowed). */
	int		 external;
	const unsigned char *report_hash;
	int64_t		 heartbeat_ms;	/* silence until lost */
	int64_t		 grace_ms;	/* a stop unanswered until canceled */
	int64_t		 rerun_of;	/* the task this reruns; 0: none */
	/* Waits until each of these tasks has succeeded (distinct ids,
	 * borrowed); 422 unknown_task for one that is not there. */
	const int64_t	*after;
	int		 nafter;	/* 0 to HG_AFTER_MAX */
	/* Retries, the kind's, kept with the task (store_task_finish):
	 * attempts is 1 + retries (0 reads as 1); retry_on the error codes
	 * retried, as "exit_code,signal" (borrowed); the delays in ms. */
	int		 attempts;
	const char	*retry_on;
	int64_t		 retry_delay_ms;
	int64_t		 retry_delay_max_ms;
	/* Made by this schedule (0: none), which records it as its last
	 * task. A run that was due at schedule_due moves its next run to
	 * schedule_next (0: never) in the same transaction, or is refused
	 * (409) if the schedule has changed since; schedule_due 0 is a run
	 * asked for now, which leaves the next run alone. */
	int64_t		 schedule;
	int64_t		 schedule_due;
	int64_t		 schedule_next;
};

#define STORE_IDEM_MS	(24LL * 3600 * 1000)

/*
 * store_task_create with options. Returns 0 when it created the task, 1
 * when idem_key already named a task created in the last 24 hours (*task
 * is that one), -1 on error (429 queue_full when max_queued tasks wait,
 * queued or retrying).
 */
int	store_task_create_opts(struct store *st, const char *kind,
	    const char *name, const char *params,
	    const struct create_opts *o, cJSON **task, struct hg_err *e);

/* The task that Idempotency-Key key named in the last 24 hours: 1 with
 * *task set (caller frees), 0 if none, -1 with e set. */
int	store_idem_task(struct store *st, const char *key, cJSON **task,
	    struct hg_err *e);

/* One create of store_task_create_many: what it is, and how it went. */
struct create_item {
	const char		*kind;
	const char		*name;		/* or NULL */
	const char		*params;	/* JSON text */
	const struct create_opts *opts;
	int			 rc;		/* as store_task_create_opts */
	cJSON			*task;		/* if rc is 0 or 1 */
	struct hg_err		 e;		/* if rc is -1 */
};

/*
 * Makes the n creates of v in one transaction, in turn, each as
 * store_task_create_opts would and each in a savepoint of its own: one
 * refused (a full queue, say) is rolled back alone and the others are
 * made. Each item's rc, task and e say how it went. Returns 0 if the
 * transaction was committed, -1 if not (every item's rc -1, e set).
 */
int	store_task_create_many(struct store *st, struct create_item **v,
	    size_t n);

/* Sets *task to the task object (caller frees), or 404. */
int	store_task_get(struct store *st, int64_t id, cJSON **task,
	    struct hg_err *e);

struct task_filter {
	enum task_state	 state;		/* 0: any */
	const char	*kind;		/* NULL: any */
	int64_t		 before;	/* ids below this; 0: no bound */
	int		 limit;
	int64_t		 unless;	/* > 0: the newest event id of an
					 * answer the caller keeps */
};

/*
 * Sets *out to the JSON text {"tasks":[...newest first],"event_id":N}
 * (malloc'd, *len bytes and a NUL; caller frees), where N, also set in
 * *event_id, is the newest event id that the snapshot reflects. Each
 * task is byte for byte what store_task_get() gives printed. Returns 1,
 * with only *event_id set, when N is f->unless: nothing changed since
 * the caller's answer was made.
 */
int	store_task_list(struct store *st, const struct task_filter *f,
	    char **out, size_t *len, int64_t *event_id, struct hg_err *e);

/* A runner process as recorded, to be told of a stop. pid 0: none. */
struct runner_ref {
	int64_t	 pid;
	int64_t	 start;		/* /proc/<pid>/stat start time */
};

/*
 * Asks a task to stop: a queued or retrying task ends canceled at once
 * (error null), a running one becomes stopping (its runner is told
 * through *ref), a stopping one is left as it is. 409 not_active for a
 * finished task. Sets *task to the task object after the change (caller
 * frees). The tasks waiting for a task so canceled end canceled too
 * (dependency_failed).
 */
int	store_task_stop(struct store *st, int64_t id, cJSON **task,
	    struct runner_ref *ref, struct hg_err *e);
/* The same for a reason of the server's own: a task canceled by this
 * stop ends with error {code, msg}. */
int	store_task_stop_why(struct store *st, int64_t id, const char *code,
	    const char *msg, cJSON **task, struct runner_ref *ref,
	    struct hg_err *e);

/* A running task past its kind's timeout_s becomes stopping, with its
 * state event, as a stop makes it; but no stop is asked, so that it
 * still ends failed (timeout) and may be retried. A task in any other
 * state is left alone. Returns 0, or -1 with e set. */
int	store_task_timing_out(struct store *st, int64_t id, struct hg_err *e);

/* Deletes a finished task with its events. 404, or 409 still_active. */
int	store_task_delete(struct store *st, int64_t id, struct hg_err *e);

/* A task a runner has taken (store_task_finish's o->next). */
struct claim {
	int64_t		 id;		/* 0: none */
	char		*kind;		/* malloc'd */
	char		*params;	/* malloc'd JSON text */
	int		 attempt;	/* 1-based: "attempt 2 of 4" */
	int		 attempts;
};

/* Frees what c holds and empties it. */
void	claim_free(struct claim *c);

/*
 * The runner takes a queued task: it becomes running with pid and start
 * recorded. A task taken again after a failed attempt (it has started
 * before) begins its next attempt: attempt grows by one, progress goes
 * back to 0 (with a progress event), the result to null; started_at,
 * error and exit_code stay. Returns 0 with *kind and *params set
 * (malloc'd JSON text, caller frees) and, unless NULL, *attempt and
 * *attempts (1-based: "attempt 2 of 4"); 1 if the task is no longer
 * queued (a stop came first); -1 on error.
 */
int	store_task_claim(struct store *st, int64_t id, int64_t pid,
	    int64_t start, char **kind, char **params, int *attempt,
	    int *attempts, struct hg_err *e);

/*
 * Whether a runner handed task id may take it (store_task_claim) or
 * follow its job (store_task_reattach): a read, outside the write gate.
 * 0 when it need not try: the task ended, or another runner has it, as
 * the end of that runner's last task may have taken it (struct
 * outcome's next). Returns 1 or 0, or -1 with e set.
 */
int	store_task_claimable(struct store *st, int64_t id, struct hg_err *e);

/*
 * A runner follows the Slurm job of task id again, in place of its dead
 * runner: if the task is active, has a job, and the runner recorded is
 * gone (its /proc start time differs), it records pid and start as the
 * task's runner. Returns 0 with *kind and *params set (malloc'd, caller
 * frees) and the attempt it is, 1 if the task is not there to follow,
 * -1 on error.
 */
int	store_task_reattach(struct store *st, int64_t id, int64_t pid,
	    int64_t start, char **kind, char **params, int *attempt,
	    int *attempts, struct hg_err *e);

/*
 * Slurm tasks. store_task_slurm_get reads the job (0: none submitted
 * yet), how many bytes of its output were read, and when its current
 * job was first seen running (TASK_TIME_NONE: not yet; started_at
 * would be the first attempt's). store_task_slurm records the job and
 * what squeue says of it (a state event when that changed), and with
 * running makes a queued task running; returns 1 when it did, else 0,
 * or -1 with e set. store_task_slurm_offset records the output read.
 */
int	store_task_slurm_get(struct store *st, int64_t id, int64_t *job,
	    int64_t *offset, int64_t *started, struct hg_err *e);
int	store_task_slurm(struct store *st, int64_t id, int64_t job,
	    const char *state, const char *reason, int running,
	    struct hg_err *e);
int	store_task_slurm_offset(struct store *st, int64_t id,
	    int64_t offset, struct hg_err *e);

/* Progress as the runner reports it; total < 0 means unknown. */
struct progress {
	double		 value;
	double		 total;
	const char	*message;	/* NULL: none */
};

/* Records progress and its event, if the task is still running or
 * stopping. */
int	store_task_progress(struct store *st, int64_t id,
	    const struct progress *p, struct hg_err *e);

/* One line of a task's log, or one data item (name set), borrowed. */
struct logline {
	const char	*stream;	/* "stdout" or "stderr" */
	const char	*line;		/* valid UTF-8, no NUL; a data item's
					 * value as compact JSON text */
	const char	*name;		/* NULL: a log line; else the item's
					 * name (pline_name_ok) */
	size_t		 len;		/* a data item's: bytes of line */
};

/* Records n log lines as log events, in one transaction, if the task is
 * still active. */
int	store_task_log(struct store *st, int64_t id, const struct logline *v,
	    size_t n, struct hg_err *e);

/* What a runner or a report writes at once (store_task_output). */
struct task_output {
	const struct logline *v;	/* log lines and data items, in the
					 * order they came */
	size_t		 n;
	const char	*result;	/* the task's new result (JSON text),
					 * or NULL */
	long long	 data_max;	/* HOURGLASS_DATA_MAX */
	/* Set by the call: the task's items reached data_max here, and this
	 * item and every later one are dropped; the caller writes the one
	 * log line that says so. Told once per task. */
	int		 data_full;
	/* The writer dropped an item for the cap by its own count, and
	 * said so: the cap is marked reached, for a later attempt. */
	int		 dropped;
	/* Set by the call: the task was not active (ended, or gone), and
	 * nothing was written. */
	int		 inactive;
};

/*
 * Records o in one transaction: each log line as a log event while the
 * task is active, and each data item, while it is running or stopping,
 * as a data event {"task":17,"name":"row","data":<value>}, counted on
 * the task (items and bytes of their values) against o->data_max; then
 * the result, last wins, with a state event when it changed. Items past
 * the cap are dropped (o->data_full). 0, or -1 with e set.
 */
int	store_task_output(struct store *st, int64_t id, struct task_output *o,
	    struct hg_err *e);
/* The bytes of task id's data items so far (every attempt's), and
 * whether they reached the cap. 0, or -1 with e set. */
int	store_task_data_used(struct store *st, int64_t id, int64_t *bytes,
	    int *full, struct hg_err *e);

/*
 * A page of task id's data items after event id after, oldest first,
 * only those named name (NULL: any), at most limit (fewer once the page
 * passes HG_DATA_PAGE_BYTES): sets *out to
 * {"items":[{"id","name","data"}...],"next":<id>|null,"count":N}
 * (malloc'd, *len bytes and a NUL; caller frees), next the last item's
 * id when more follow, count every item the task has. 404 for no task.
 */
int	store_task_data(struct store *st, int64_t id, int64_t after,
	    const char *name, int limit, char **out, size_t *len,
	    struct hg_err *e);

/* How a task ended. */
struct outcome {
	enum task_state	 state;		/* succeeded, failed, canceled, lost */
	int		 has_exit_code;
	int		 exit_code;
	const char	*error_code;	/* NULL: no error */
	const char	*error_message;
	int		 stop_wins;	/* a stopping task ends canceled
					 * whatever the outcome */
	const char	*result;	/* JSON text recorded as the task's
					 * result with the end; NULL: kept */
	/* Only if the task's runner is still this one (borrowed): the
	 * lost-runner check read it before, and a retried task may have
	 * been taken by another runner since. NULL: whoever runs it. */
	const struct runner_ref *runner;
	/* Also takes queued tasks to start, as store_sched_take() does, in
	 * the end's own transaction: the slot it frees, with no write of
	 * its own. sc->n and sc->promoted are 0 unless it committed. NULL:
	 * none. */
	struct sched	*sched;
	/* With sched: the runner (borrowed) also takes the oldest task of
	 * those sched takes, as store_task_claim() would, to run it next:
	 * no write of its own, and no wait for the host to hand it over.
	 * If sched takes none, a local task launched that no runner has
	 * taken yet: its own runner finds it taken. Set in next if it
	 * committed (next->id 0: none). NULL: none. */
	const struct runner_ref *next_runner;
	struct claim	*next;
};

/*
 * Ends an active task, or its attempt: optionally records final progress
 * p first (its event comes before the state event), then the outcome. A
 * task that was stopping and would have succeeded ends canceled. A
 * running task whose outcome is an error of its retry_on, with attempts
 * left, becomes retrying instead of ending: its error and exit_code are
 * the attempt's, retry_at a random time between half and all of
 * min(retry_delay_max, retry_delay x 2^(attempt-1)) from now, and the
 * counter retries{kind} grows. A task stopping because a stop was
 * asked is retried only after a timeout (the stop came after it); a
 * stop is never retried. One its timeout alone made stopping
 * (store_task_timing_out) ends and is retried as a running one. A task
 * that has already ended, or is retrying, or that o->runner no longer
 * runs, is left alone (returns 1). When the task ends, the tasks waiting for
 * it are released if it succeeded, else end canceled (dependency_failed).
 */
int	store_task_finish(struct store *st, int64_t id,
	    const struct progress *p, const struct outcome *o,
	    struct hg_err *e);

/* Returns 1 if a stop was asked for task id, 0 if not, -1 on error. */
int	store_task_stop_requested(struct store *st, int64_t id);

/* One stored event, borrowed for the length of a callback. */
struct event {
	int64_t		 id;
	int64_t		 task;
	const char	*type;		/* state, progress, log, data,
					 * deleted */
	enum task_state	 state;		/* the new state; 0 if type is not
					 * state */
	const char	*data;
	size_t		 len;
};

/*
 * Calls cb for each event with after < id <= upto (upto 0: no bound), of
 * task (0: every task), oldest first, at most limit. Stops early if cb
 * returns -1. Returns the number of events read, or -1.
 */
int	store_events_read(struct store *st, int64_t after, int64_t upto,
	    int64_t task, int limit,
	    int (*cb)(void *, const struct event *), void *arg);

/* Sets *id to the newest event id ever given (0 if none). */
int	store_event_last(struct store *st, int64_t *id);

/*
 * For the start of a task's stream: sets *task (caller frees) and
 * *newest, the id of its newest event, read in one snapshot.
 */
int	store_task_head(struct store *st, int64_t id, cJSON **task,
	    int64_t *newest, struct hg_err *e);

/*
 * Takes queued tasks to start, oldest first: as many as fit under
 * sc->max_running in all and under each kind's own limit, counting
 * running, stopping and already launched tasks. Marks them launched in
 * the same transaction. First, in that transaction, retrying tasks whose
 * retry_at has come become queued (up to HG_PROMOTE_BATCH, each with a
 * state event; sc->promoted says how many). Fills sc->ids (at most
 * sc->cap) and sets sc->n; returns sc->n, or -1.
 */
int	store_sched_take(struct store *st, struct sched *sc,
	    struct hg_err *e);

/* Sets *at to the earliest retry_at of a retrying task (ms since the
 * epoch), or 0 when none waits. 0, or -1. */
int	store_retry_next(struct store *st, int64_t *at, struct hg_err *e);

/* Gives a launched task whose runner never took it back to the queue,
 * if it was launched before `before` (ms since the epoch). Returns the
 * number of tasks given back, or -1. */
int	store_sched_unlaunch(struct store *st, int64_t before);

/*
 * Schedules (lib/store/schedules.c). A row as stored; every string
 * borrowed for the length of a call. Times in ms since the epoch;
 * next_run_at TASK_TIME_NONE while paused or when the cron never
 * matches again.
 */
struct schedule {
	int64_t		 id;
	const char	*kind;
	const char	*params;	/* JSON text, checked at create */
	const char	*name;		/* NULL: none */
	const char	*cron;
	const char	*timezone;
	int		 overlap_allow;	/* else "skip" */
	int		 paused;
	int64_t		 next_run_at;
	int64_t		 last_task_id;	/* 0: none yet */
	int64_t		 created_at;
};
typedef int (*schedule_fn)(void *arg, const struct schedule *s);

/* Stores s (its id and created_at are set here); sets *id. */
int	store_schedule_create(struct store *st, const struct schedule *s,
	    int64_t *id, struct hg_err *e);
/*
 * Calls fn for schedule id (0: each, oldest first), or for each one due
 * by due_by (> 0: next_run_at at most that, earliest first); fn returns
 * 0 to go on. Returns how many it was called for (404 for a missing
 * id), or -1 with e set.
 */
int	store_schedule_each(struct store *st, int64_t id, int64_t due_by,
	    schedule_fn fn, void *arg, struct hg_err *e);
/* Pauses (next_run_at cleared) or resumes it with its next run. 404
 * for a missing id. */
int	store_schedule_pause(struct store *st, int64_t id, int paused,
	    int64_t next, struct hg_err *e);
int	store_schedule_delete(struct store *st, int64_t id,
	    struct hg_err *e);
/* A run due at due made no task (skipped): the next is next (or
 * TASK_TIME_NONE). Returns 1 if it moved, 0 if the schedule changed
 * meanwhile (paused, deleted), -1 with e set. */
int	store_schedule_advance(struct store *st, int64_t id, int64_t due,
	    int64_t next, struct hg_err *e);
/* Sets *at to the earliest next run (INT64_MAX: none). */
int	store_schedule_earliest(struct store *st, int64_t *at,
	    struct hg_err *e);
/* 1 if schedule id's last task is still active, else 0; -1 on error. */
int	store_schedule_last_active(struct store *st, int64_t id,
	    struct hg_err *e);
/* A queued Slurm task whose runner died before it submitted the job
 * goes back to the queue. Returns 1 if it did, 0 if not, -1 on error. */
int	store_slurm_unclaim(struct store *st, int64_t id, struct hg_err *e);

/* A running or stopping task's runner, as recorded. */
struct runner_seen {
	struct runner_ref ref;
	char	 kind[HG_KIND_NAME_MAX + 1];
	int64_t	 slurm_job;	/* its Slurm job; 0: not submitted yet;
				 * -1: not a Slurm task */
};

/* Calls cb for each running or stopping task with its runner, and each
 * queued Slurm task whose runner follows its pending job, read
 * HG_RUNNERS_BATCH at a time. Returns how many, or -1. */
int	store_active_runners(struct store *st,
	    void (*cb)(void *, int64_t id, const struct runner_seen *),
	    void *arg);

/*
 * Retention. store_prune deletes up to cap tasks that finished before
 * `before` (ms), with their events, in one short transaction, and fills
 * ids with them (their files are the caller's). store_thin thins the
 * progress events of up to cap (at most HG_THIN_BATCH) tasks finished before `before` to the
 * last one of each second, a transaction per task, and sets *upto to
 * the newest event id of those tasks (0 if none). store_idem_prune
 * forgets keys older than before. Each returns a count, or -1.
 */
int	store_prune(struct store *st, int64_t before, int64_t *ids, int cap,
	    struct hg_err *e);
int	store_thin(struct store *st, int64_t before, int cap, int64_t *upto,
	    struct hg_err *e);
int	store_idem_prune(struct store *st, int64_t before);

/* An active task that the server tends: watched, or external. */
struct tended {
	int64_t	 id;
	enum task_state	 state;
	int64_t	 watch_ms;	/* 0: not a while-watched task */
	int64_t	 watched_at;	/* ms since the epoch */
	int	 external;
	int64_t	 heartbeat_ms, grace_ms;
	int64_t	 reported_at;	/* 0: no report yet */
	int64_t	 stop_at;	/* 0: no stop asked */
};

/* Calls fn(arg, kind) for each kind of the queued tasks, until fn
 * returns non-zero. Returns 0, or -1. */
int	store_queued_kinds(struct store *st,
	    int (*fn)(void *arg, const char *kind), void *arg);
/* Fills ids with up to cap queued tasks of kind with ids above after, by
 * id. Returns how many, or -1. */
int	store_queued_of_kind(struct store *st, const char *kind, int64_t after,
	    int64_t *ids, int cap);

/* Fills v with up to cap tended tasks with ids above after, by id.
 * Returns how many, or -1. */
int	store_tended(struct store *st, int64_t after, struct tended *v,
	    int cap);
/* Records that each of the n tasks of ids was last watched at the
 * matching time of at (ms since the epoch), if later than recorded. */
int	store_watched(struct store *st, const int64_t *ids, const int64_t *at,
	    int n, struct hg_err *e);

/*
 * Takes a report for external task id from the holder of the token
 * whose SHA-256 is hash: 401 unless it is that task's, 409 not_active
 * once it has ended. Writes the task's kind to kind and sets *stop if a
 * stop was asked. With record set, the first report moves the task from
 * queued to running, and each records its time, for the heartbeat;
 * without, it only checks.
 */
int	store_report(struct store *st, int64_t id, const unsigned char *hash,
	    int record, char *kind, size_t kindlen, int *stop,
	    struct hg_err *e);

/* Copies what the write-ahead log holds into the database, as far as
 * readers allow, without waiting for anyone (a passive checkpoint). */
int	store_checkpoint(struct store *st);

/*
 * Webhook deliveries (SPEC "Notifications"). Each task that reaches a
 * final state while deliveries are on gets one, written in the
 * transaction of that end, pending and due at once; the sender tries it
 * until it is delivered or failed. Ids are HOOK_ID_LEN hex digits.
 */
#define HOOK_ID_LEN	32

enum hook_state { HOOK_PENDING = 1, HOOK_DELIVERED, HOOK_FAILED };

/* Records whether deliveries are written from now on, by every process
 * (the server, at start, from HOURGLASS_WEBHOOK_URL). */
int	store_hook_enable(struct store *st, int on, struct hg_err *e);

/* A pending delivery to try. */
struct hook_due {
	char	 id[HOOK_ID_LEN + 1];
	char	*payload;	/* the body, malloc'd: store_hook_due_free */
	size_t	 len;
	int64_t	 attempts;	/* made before this one */
	int64_t	 created_at;	/* ms since the epoch */
};

/* Fills v with up to cap pending deliveries due by now (ms), earliest
 * first. Returns how many, or -1. Free them with store_hook_due_free. */
int	store_hook_due(struct store *st, int64_t now, struct hook_due *v,
	    int cap, struct hg_err *e);
void	store_hook_due_free(struct hook_due *v, int n);
/* Sets *at to the earliest next_attempt_at of a pending delivery (ms),
 * or 0 when none is pending. */
int	store_hook_next(struct store *st, int64_t *at, struct hg_err *e);

/* What an attempt came to. */
struct hook_try {
	enum hook_state	 state;		/* pending: to be retried */
	int		 status;	/* the answer's; 0: none */
	const char	*error;		/* NULL: none (borrowed) */
	int64_t		 next_at;	/* pending: the retry's time, ms */
};

/* Records an attempt of pending delivery id and counts its outcome
 * (counter webhook{state = delivered, retried or failed}) in one
 * transaction. A delivery no longer pending is left alone. */
int	store_hook_tried(struct store *st, const char *id,
	    const struct hook_try *t, struct hg_err *e);

/* Sets *out to {"deliveries":[...]} (malloc'd, *len bytes and a NUL;
 * caller frees), newest first, at most limit, only those in state (0:
 * any). */
int	store_hook_list(struct store *st, enum hook_state state, int limit,
	    char **out, size_t *len, struct hg_err *e);
/* Deletes up to cap deliveries delivered or failed before `before`
 * (ms). Returns how many, or -1. */
int	store_hook_prune(struct store *st, int64_t before, int cap);

/* Adds 1 to the counter name (e.g. "start_failed"). */
int	store_count(struct store *st, const char *name, struct hg_err *e);

/*
 * For /api/metrics, in one snapshot: calls cb with ("tasks", kind,
 * state, count) for each kind and state held, then with each counter
 * (name, kind, state, value), kind and state "" where not used.
 */
int	store_metrics(struct store *st,
	    void (*cb)(void *, const char *name, const char *kind,
	    const char *state, int64_t value), void *arg, struct hg_err *e);

#endif
