/*
 * What the files of lib/store/ share, and nobody else: the struct store,
 * the statement cache, transactions, and the helpers one file gives
 * another. Callers include store.h only (sqlite3.h beside sqliteInt.h).
 *
 * Each file keeps its SQL next to the function that runs it, as a
 * struct store_sql: the text, and the slot of the connection's cache
 * where its prepared statement is kept. A slot belongs to one
 * statement; the enum below lists them by file.
 *
 * Who calls whom runs one way (scripts/circles): conn is called by all
 * and calls none; row reads a task; events writes and reads events
 * (with row); counters stands alone on conn, and queue uses events (a
 * retry queued again has its state event); hooks uses row and counters;
 * after uses counters, events and hooks, for tasks and lifecycle; tasks, lifecycle, upkeep and report
 * use those and are called by none of them but data, which
 * writes log lines, data items and results with lifecycle's
 * begin_active.
 *
 * Private names are store__ (libuv's uv__).
 */
#ifndef HG_STORE_INT_H
#define HG_STORE_INT_H

#include <stdint.h>

#include <sqlite3.h>

#include "gate.h"
#include "objcache.h"
#include "store.h"
#include "taskjson.h"

enum store_slot {
	/* conn.c */
	S_BEGIN, S_BEGIN_IMM, S_COMMIT, S_ROLLBACK, S_SAVEPOINT, S_RELEASE,
	S_ROLLBACK_TO,
	/* row.c */
	S_TASK_GET, S_TASK_STATE, S_TASK_DELETE, S_TASK_EVENTS_DELETE,
	/* events.c */
	S_EVENT_INSERT, S_EVENT_LAST, S_EVENTS_ALL, S_EVENTS_TASK,
	S_TASK_NEWEST,
	/* counters.c */
	S_COUNTER_BUMP, S_COUNTER_TASK, S_METRIC_TASKS, S_METRIC_COUNTERS,
	/* queue.c */
	S_SCHED_BUSY, S_SCHED_BUSY_KIND, S_SCHED_NEXT_KIND, S_SCHED_WAITING,
	S_SCHED_MARK, S_SCHED_MARK_SLURM, S_SCHED_UNLAUNCH, S_SCHED_BUSY_LOCAL,
	S_ANY_WAITING, S_ANY_UNCLAIMED, S_SCHED_UNCLAIMED,
	S_RETRY_DUE, S_RETRY_QUEUE, S_RETRY_NEXT,
	/* tasks.c */
	S_TASK_INSERT, S_IDEM_GET, S_IDEM_PUT, S_QUEUED_COUNT,
	S_LIST, S_LIST_STATE, S_LIST_KIND, S_LIST_STATE_KIND,
	S_LIST_STATE_KIND_BY_STATE, S_LIST_COUNTS, S_LIST_IDS,
	S_LIST_IDS_STATE, S_LIST_IDS_KIND, S_LIST_IDS_STATE_KIND,
	S_LIST_IDS_STATE_KIND_BY_STATE, S_EVENTS_TASKS,
	/* lifecycle.c */
	S_TASK_SET_STATE, S_TASK_CLAIM, S_TASK_PROGRESS,
	S_TASK_FINISH, S_TASK_STOPREQ, S_STOP_WHY, S_TASK_TIMING_OUT,
	S_TASK_STOP_ASKED,
	S_SLURM_GET, S_SLURM_SET, S_SLURM_RUN, S_SLURM_OFFSET,
	S_REATTACH_GET, S_REATTACH_SET, S_SLURM_UNCLAIM, S_TASK_CLAIMABLE,
	S_TASK_RETRY, S_TASK_RETRYING,
	/* upkeep.c */
	S_RUNNING_RUNNERS, S_STOPPING_RUNNERS, S_PENDING_RUNNERS,
	S_PRUNE_PICK, S_PRUNE_DELETED, S_PRUNE_DELETED_PICK, S_THIN_PICK,
	S_THIN, S_THIN_MARK,
	S_IDEM_PRUNE, S_ANY_IDEM_OLD, S_TENDED, S_WATCHED,
	S_QUEUED_KINDS, S_QUEUED_OF_KIND,
	/* report.c */
	S_REPORT_GET, S_REPORT_START, S_REPORT_BEAT,
	/* data.c */
	S_DATA_STATE, S_DATA_INSERT, S_DATA_COUNT, S_RESULT_SET, S_DATA_PAGE,
	S_DATA_TOTAL, S_DATA_TASK,
	/* after.c */
	S_AFTER_FAIL, S_AFTER_RELEASE, S_AFTER_CHILDREN,
	S_AFTER_UNLINK, S_AFTER_CLEAR, S_AFTER_LINK, S_AFTER_WAIT,
	/* schedules.c */
	S_SCHED_INSERT, S_SCHED_GET, S_SCHED_LIST, S_SCHED_DELETE,
	S_SCHED_PAUSE, S_SCHED_FIRED, S_SCHED_RAN, S_SCHED_ADVANCE,
	S_SCHED_DUE, S_SCHED_EARLIEST, S_SCHED_LAST_ACTIVE,
	/* hooks.c */
	S_HOOK_ON, S_HOOK_INSERT, S_HOOK_ENABLE, S_HOOK_DUE, S_HOOK_NEXT,
	S_HOOK_TRIED, S_HOOK_LIST, S_ANY_HOOK_OLD, S_HOOK_PRUNE, S_HOOK_ENDED,
	S_MAX
};

/* A statement: its cache slot and its SQL. */
struct store_sql {
	enum store_slot	 slot;
	const char	*text;
};

/* One per thread; never shared. */
struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[S_MAX];	/* prepared on first use */
	struct gate	*gate;		/* the write gate, or NULL */
	int		 gated;		/* it is held */
	/* sqlite3_total_changes64 at the write transaction's BEGIN: a
	 * commit that changed rows tells a write failure is over. */
	sqlite3_int64	 changes;
	int64_t		 busy_since;	/* monotonic ms of the first retry */
	struct taskjson_clock clock;	/* dates of the times it writes */
	struct objcache	*objs;		/* tasks' objects for lists, or NULL */
};

/* The columns store__row_read() reads, in its order. */
#define TASK_COLS "id, kind, name, params, state, value, total, message, " \
	"created_at, started_at, finished_at, exit_code, error_code, " \
	"error_message, result, rerun_of, attempt, attempts, retry_at, " \
	"waiting_for, slurm_job, slurm_state, slurm_reason, schedule"

/* conn.c */
/* Maps a failed SQLite call rc to the client's error (503). Returns -1;
 * e may be NULL. */
int		 store__err(struct store *st, int rc, struct hg_err *e);
/* Returns q's statement, prepared once (owned by st) and reset for use,
 * or NULL. */
sqlite3_stmt	*store__stmt(struct store *st, const struct store_sql *q);
/* Steps a statement that returns no row and resets it. Returns 0, or
 * -1 with e set. */
int		 store__step_done(struct store *st, sqlite3_stmt *s,
		    struct hg_err *e);
/* Runs q, which returns no row; with ?1 = id for store__exec_id. */
int		 store__exec(struct store *st, const struct store_sql *q,
		    struct hg_err *e);
int		 store__exec_id(struct store *st, const struct store_sql *q,
		    int64_t id, struct hg_err *e);
/* Runs q, which returns one integer, into *v (0 if no row), with text
 * as ?1 if not NULL and arg as the next parameter if not 0. */
int		 store__query_int(struct store *st, const struct store_sql *q,
		    const char *text, int64_t arg, int64_t *v,
		    struct hg_err *e);
/* The same with ?1 = id: 1 if the integer is not 0, else 0; -1 with e
 * set. */
int		 store__query_true(struct store *st, const struct store_sql *q,
		    int64_t id, struct hg_err *e);
/*
 * Transactions: write set takes BEGIN IMMEDIATE after the write gate.
 * store__commit rolls back when the commit fails; store__commit_task
 * also frees *task then. store__rollback is safe outside a
 * transaction. Each lets the gate go once the transaction has ended.
 */
int		 store__begin(struct store *st, int write, struct hg_err *e);
int		 store__commit(struct store *st, struct hg_err *e);
int		 store__commit_task(struct store *st, cJSON **task,
		    struct hg_err *e);
void		 store__rollback(struct store *st);
/* Inside a write transaction: a savepoint, then its end (keep: what it
 * did stays; else it is undone). */
int		 store__savepoint(struct store *st, struct hg_err *e);
int		 store__release(struct store *st, int keep, struct hg_err *e);
/* Hands b's text to the caller (*out, *len; the caller frees it), or
 * frees it and returns -1 with 503 if b ran out of memory. */
int		 store__buf_take(struct json_buf *b, char **out, size_t *len,
		    struct hg_err *e);
/* Binds t as text (copied), or NULL. */
void		 store__bind_text(sqlite3_stmt *s, int i, const char *t);

/* row.c */
/* Reads a row of TASK_COLS into t, borrowing s's strings until s is
 * stepped or reset. Returns 0, or -1 when SQLite ran out of memory. */
int		 store__row_read(sqlite3_stmt *s, struct task_row *t);
/* Sets *task to task id's object (caller frees). 404 when absent. */
int		 store__task_read(struct store *st, int64_t id, cJSON **task,
		    struct hg_err *e);
/* Appends task id's object to b as text, as a list page writes it, and
 * sets *state. Returns 0; -1 with e set, 404 when absent; b->oom is the
 * caller's. */
int		 store__task_text(struct store *st, int64_t id,
		    struct json_buf *b, enum task_state *state,
		    struct hg_err *e);
/* Inside a transaction: task id's state and, unless ref is NULL, the
 * runner a stop would tell (none for a queued or retrying task, but a
 * Slurm task's). 404 when absent. */
int		 store__task_state(struct store *st, int64_t id,
		    enum task_state *state, struct runner_ref *ref,
		    struct hg_err *e);

/* events.c */
/* Inside a write transaction: records an event; data borrowed. */
int		 store__event_insert(struct store *st, int64_t task,
		    const char *type, const char *state, const char *data,
		    struct hg_err *e);
/* Inside a write transaction: records a state event holding the task
 * as it now is. Sets *task to that object if task is not NULL. */
int		 store__state_event(struct store *st, int64_t id,
		    cJSON **task, struct hg_err *e);
/* Sets *id to the newest event id ever given (0 if none). */
int		 store__event_last(struct store *st, int64_t *id,
		    struct hg_err *e);

/* lifecycle.c */
/*
 * Opens a write transaction on task id if it is still active, and sets
 * *state. Returns 1 inside the transaction, 0 when the task has ended
 * (nothing is left open), -1 with e set.
 */
int		 store__begin_active(struct store *st, int64_t id,
		    enum task_state *state, struct hg_err *e);
/* Inside a write transaction: deletes task id and its events, and
 * records a 'deleted' event for it (for DELETE and for pruning). */
int		 store__task_remove(struct store *st, int64_t id,
		    struct hg_err *e);
/* Sets *id to the newest event of task (0 if none). */
int		 store__task_newest(struct store *st, int64_t task,
		    int64_t *id, struct hg_err *e);

/* counters.c */
/* Inside a write transaction: counter name{kind,state} += 1; kind and
 * state may be NULL. */
int		 store__counter_bump(struct store *st, const char *name,
		    const char *kind, const char *state, struct hg_err *e);
/* Inside a write transaction: finished{kind,state} += 1 for task id,
 * as it now is. */
int		 store__counter_finished(struct store *st, int64_t id,
		    struct hg_err *e);
/* Inside a write transaction: retries{kind} += 1 for task id. */
int		 store__counter_retried(struct store *st, int64_t id,
		    struct hg_err *e);

/* after.c */
/*
 * Inside a write transaction, as task id has just reached a final state:
 * counts it as finished, records its state event (sets *task to that
 * object if task is not NULL), then releases each task waiting for it
 * (it succeeded) or ends it canceled with dependency_failed (it ended
 * otherwise), each with its state event, and so on down the chain.
 * Each task that so becomes final gets its webhook delivery.
 */
int		 store__task_ended(struct store *st, int64_t id,
		    cJSON **task, struct hg_err *e);
/*
 * Inside the create's transaction: task id waits for the n tasks of
 * after (distinct ids): those still active are recorded in its
 * waiting_for; if one has ended otherwise than succeeded, the task ends
 * canceled (dependency_failed) and is counted, with its webhook
 * delivery, and the caller records its state event. Returns 0, 1 if
 * the task ended so, or -1: 422 unknown_task for an id that is not
 * there.
 */
int		 store__after_create(struct store *st, int64_t id,
		    const int64_t *after, int n, struct hg_err *e);

/* schedules.c */
/* Inside the create's transaction: task id was made by o's schedule,
 * which records it (and its next run, for a run that was due). */
int		 store__schedule_made(struct store *st, int64_t id,
		    const struct create_opts *o, struct hg_err *e);
/* hooks.c */
/*
 * Inside the write transaction that ended task id: if deliveries are
 * on (store_hook_enable), records a pending delivery, due now, whose
 * payload holds task (borrowed; NULL: the task as it now is).
 */
int		 store__hook_add(struct store *st, int64_t id,
		    const cJSON *task, struct hg_err *e);

/* queue.c */
/* Inside a write transaction: fills sc->ids, marks them launched, sets
 * sc->n. Returns 0, or -1 (the caller rolls back). */
int		 store__sched_pick(struct store *st, struct sched *sc,
		    struct hg_err *e);
/* Inside a write transaction: what store_sched_take() does in its own
 * (retries due made queued, then store__sched_pick). Returns 0, or -1
 * with sc->n and sc->promoted 0 (the caller rolls back). */
int		 store__sched_take_in(struct store *st, struct sched *sc,
		    struct hg_err *e);
/* Inside a transaction: sets *id to a local task launched that no runner
 * has taken yet, the one launched last, or 0. Returns 0, or -1 with e
 * set. */
int		 store__sched_unclaimed(struct store *st, int64_t *id,
		    struct hg_err *e);

#endif
