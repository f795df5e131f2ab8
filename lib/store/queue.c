/*
 * The queue: which queued tasks start, under the limits in all and per
 * kind, marked launched in the transaction that counts the slots.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* What holds a slot: running, stopping, or launched and waiting
 * for its runner to take it. External tasks run elsewhere: they
 * hold no slot and are never launched. The terms are those of the
 * tasks_busy_kind index (sql/008), so that it is used. */
#define BUSY	"((state IN ('running', 'stopping') AND external = 0) OR " \
	"(state = 'queued' AND launched_at IS NOT NULL))"
/* A task that waits for a slot, and for no other task (after.c);
 * the terms of tasks_waiting_kind (sql/012). */
#define WAITING	"state = 'queued' AND launched_at IS NULL AND " \
	"external = 0 AND waiting_for IS NULL"

static const struct store_sql q_sched_busy = { S_SCHED_BUSY,
    "SELECT count(*) FROM tasks WHERE " BUSY };
/* Slurm schedules Slurm tasks (slurm_job not NULL): they hold no slot
 * of max_running. */
static const struct store_sql q_sched_busy_local = { S_SCHED_BUSY_LOCAL,
    "SELECT count(*) FROM tasks WHERE " BUSY " AND slurm_job IS NULL" };
/* INDEXED BY: without statistics the planner would rather read the
 * whole queue through another index. */
static const struct store_sql q_sched_busy_kind = { S_SCHED_BUSY_KIND,
    "SELECT count(*) FROM tasks INDEXED BY tasks_busy_kind WHERE "
    "kind = ?1 AND " BUSY };
/* The next kind after ?1 with a task waiting: one step through the
 * index, not a scan of the queue. */
static const struct store_sql q_sched_next_kind = { S_SCHED_NEXT_KIND,
    "SELECT kind FROM tasks INDEXED BY tasks_waiting_kind WHERE "
    WAITING " AND kind > ?1 ORDER BY kind LIMIT 1" };
static const struct store_sql q_sched_waiting = { S_SCHED_WAITING,
    "SELECT id FROM tasks INDEXED BY tasks_waiting_kind WHERE "
    WAITING " AND kind = ?1 ORDER BY id LIMIT ?2" };
static const struct store_sql q_sched_mark = { S_SCHED_MARK,
    "UPDATE tasks SET launched_at = ?2 WHERE id = ?1" };
/* A Slurm task is marked one from its launch (slurm_job 0: no job
 * yet), so that it holds no slot from then on, and has no runner until
 * one claims it (a claim takes a Slurm task without one only). */
static const struct store_sql q_sched_mark_slurm = { S_SCHED_MARK_SLURM,
    "UPDATE tasks SET launched_at = ?2, slurm_job = 0, slurm_offset = 0, "
    "slurm_state = NULL, slurm_reason = NULL, runner_pid = NULL, "
    "runner_start = NULL WHERE id = ?1" };

/* Sets *kind to the first kind after `after` with a task waiting
 * (malloc'd, caller frees), or NULL when there is none. */
static int
next_kind(struct store *st, const char *after, char **kind)
{
	sqlite3_stmt	*s;
	const char	*k;
	int		 rc;

	*kind = NULL;
	if ((s = store__stmt(st, &q_sched_next_kind)) == NULL)
		return sqlite3_errcode(st->db);
	/* A copy, which can fail: unbound, ?1 would be NULL and no kind
	 * would seem to wait. */
	if ((rc = sqlite3_bind_text(s, 1, after, -1, SQLITE_TRANSIENT)) !=
	    SQLITE_OK)
		return rc;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(s, 0);
		if (k == NULL || (*kind = strdup(k)) == NULL)
			rc = SQLITE_NOMEM;
		else
			rc = SQLITE_DONE;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Adds the oldest waiting tasks of kind, at most room of them, to ids
 * (*n of want, kept in ascending order: the oldest want of all the
 * kinds seen so far). Returns SQLITE_OK or the error.
 */
static int
take_oldest(struct store *st, const char *kind, int room, int64_t *ids,
    int *n, int want)
{
	sqlite3_stmt	*s;
	int64_t		 id;
	int		 rc, i;

	if ((s = store__stmt(st, &q_sched_waiting)) == NULL)
		return sqlite3_errcode(st->db);
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, room < want ? room : want);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		if (*n == want && id > ids[want - 1]) {
			rc = SQLITE_DONE;	/* the rest are younger still */
			break;
		}
		if (*n < want)
			(*n)++;
		for (i = *n - 1; i > 0 && ids[i - 1] > id; i--)
			ids[i] = ids[i - 1];
		ids[i] = id;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Marks task id launched at now (a Slurm task if slurm). Returns
 * SQLITE_OK or the error. */
static int
mark(struct store *st, int64_t id, int64_t now, int slurm)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store__stmt(st, slurm ? &q_sched_mark_slurm :
	    &q_sched_mark)) == NULL)
		return sqlite3_errcode(st->db);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * The oldest tasks of each kind that has room, merged oldest first: the
 * same pick as walking the whole queue in order and taking each task
 * whose kind has room, without reading more of the queue than a kind's
 * room, so that a kind at its max_running never hides another's tasks
 * and every kind is looked at, however many there are. The tasks of
 * Slurm kinds (slurm) hold no slot: pass 1 takes them, up to their
 * kinds' own limits; pass 0 the others, up to the slots left. Each
 * pass appends to ids[*n..).
 */
static int
pick_pass(struct store *st, struct sched *sc, int slurm, int want,
    int *n, struct hg_err *e)
{
	char		*kind = NULL, *next;
	int64_t		 kbusy;
	int		 got = 0, room, lim, rc = SQLITE_OK, is;

	while (rc == SQLITE_OK && want > 0) {
		rc = next_kind(st, kind != NULL ? kind : "", &next);
		free(kind);
		if ((kind = next) == NULL)
			break;
		is = sc->slurm != NULL && sc->slurm(sc->arg, kind);
		if (is != slurm)
			continue;
		room = want;
		lim = sc->limit != NULL ? sc->limit(sc->arg, kind) : 0;
		if (lim > 0) {
			if (store__query_int(st, &q_sched_busy_kind, kind, 0,
			    &kbusy, e) == -1) {
				free(kind);
				return -1;
			}
			room = kbusy < lim ? (int)(lim - kbusy) : 0;
		}
		if (room > 0)
			rc = take_oldest(st, kind, room, sc->ids + *n, &got,
			    want);
	}
	free(kind);
	if (rc != SQLITE_OK)
		return store__err(st, rc, e);
	*n += got;
	return 0;
}

int
store__sched_pick(struct store *st, struct sched *sc, struct hg_err *e)
{
	int64_t		 busy, now = hg_now_ms();
	int		 n = 0, slurm_n, rc, i;

	sc->n = 0;
	if (sc->slurm != NULL && pick_pass(st, sc, 1, sc->cap, &n, e) == -1)
		return -1;
	slurm_n = n;
	if (store__query_int(st, sc->slurm != NULL ? &q_sched_busy_local :
	    &q_sched_busy, NULL, 0, &busy, e) == -1)
		return -1;
	if (busy < sc->max_running && n < sc->cap && pick_pass(st, sc, 0,
	    sc->max_running - busy < sc->cap - n ?
	    (int)(sc->max_running - busy) : sc->cap - n, &n, e) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if ((rc = mark(st, sc->ids[i], now, i < slurm_n)) !=
		    SQLITE_OK)
			return store__err(st, rc, e);
	sc->n = n;
	return 0;
}

/* A retrying task whose next attempt is due; the terms of the
 * tasks_retrying index (sql/011). */
#define RETRY_DUE	"state = 'retrying' AND retry_at <= ?1"

/* Reads that tell whether a periodic write has anything to do:
 * a write statement takes the write lock even when it changes
 * nothing, and the janitor and every runner that ends would take
 * it for nothing most of the time. INDEXED BY here too, each on the
 * index whose terms it repeats: the planner would take tasks_state and
 * read every queued or retrying task until one fits, at every end of a
 * task, inside its write transaction (14 ms at 20,000 retrying). */
static const struct store_sql q_any_waiting = { S_ANY_WAITING,
    "SELECT EXISTS (SELECT 1 FROM tasks INDEXED BY tasks_waiting_kind "
    "WHERE " WAITING ") OR EXISTS (SELECT 1 FROM tasks INDEXED BY "
    "tasks_retrying WHERE " RETRY_DUE ")" };

static const struct store_sql q_retry_due = { S_RETRY_DUE,
    "SELECT id FROM tasks INDEXED BY tasks_retrying WHERE " RETRY_DUE
    " ORDER BY retry_at LIMIT ?2" };
static const struct store_sql q_retry_queue = { S_RETRY_QUEUE,
    "UPDATE tasks SET state = 'queued', retry_at = NULL, "
    "launched_at = NULL WHERE id = ?1" };

/*
 * Inside the take's transaction: the retrying tasks due at now become
 * queued, each with its state event, up to HG_PROMOTE_BATCH; sets
 * sc->promoted. Returns 0, or -1 with e set.
 */
static int
retry_promote(struct store *st, struct sched *sc, int64_t now,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	int64_t		 ids[HG_PROMOTE_BATCH];
	int		 n = 0, i, rc;

	if ((s = store__stmt(st, &q_retry_due)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, HG_PROMOTE_BATCH);
	while (n < HG_PROMOTE_BATCH && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (n < HG_PROMOTE_BATCH && rc != SQLITE_DONE)
		return store__err(st, rc, e);
	/* The reads are done before the writes, as store_active_runners'
	 * callbacks are. */
	for (i = 0; i < n; i++)
		if (store__exec_id(st, &q_retry_queue, ids[i], e) == -1 ||
		    store__state_event(st, ids[i], NULL, e) == -1)
			return -1;
	sc->promoted = n;
	return 0;
}

/* Sets sc's counts to 0, and *any to whether a task waits to start or
 * a retry is due. Returns 0, or -1. */
static int
sched_begin(struct store *st, struct sched *sc, int64_t now, int64_t *any,
    struct hg_err *e)
{
	sc->n = sc->promoted = 0;
	return store__query_int(st, &q_any_waiting, NULL, now, any, e);
}

int
store__sched_take_in(struct store *st, struct sched *sc, struct hg_err *e)
{
	int64_t		 any, now = hg_now_ms();

	if (sched_begin(st, sc, now, &any, e) == -1)
		return -1;
	if (any && (retry_promote(st, sc, now, e) == -1 ||
	    store__sched_pick(st, sc, e) == -1)) {
		sc->n = sc->promoted = 0;
		return -1;
	}
	return 0;
}

int
store_sched_take(struct store *st, struct sched *sc, struct hg_err *e)
{
	int64_t		 any;

	/* Asked first, outside: BEGIN IMMEDIATE takes the write lock even
	 * when nothing is to be taken. */
	if (sched_begin(st, sc, hg_now_ms(), &any, e) == -1)
		return -1;
	if (!any)
		return 0;
	if (store__begin(st, 1, e) == -1)
		return -1;
	if (store__sched_take_in(st, sc, e) == -1) {
		store__rollback(st);
		return -1;
	}
	if (sc->n == 0 && sc->promoted == 0) {
		store__rollback(st);
		return 0;
	}
	if (store__commit(st, e) == -1) {
		sc->n = sc->promoted = 0;
		return -1;
	}
	return sc->n;
}

/* The local task launched last that no runner has taken yet, among the
 * 8 launched last (tasks_waiting holds the queued tasks in that order):
 * a Slurm task stays queued and launched while its job waits, and
 * thousands of them must not be read at every end. */
static const struct store_sql q_sched_unclaimed = { S_SCHED_UNCLAIMED,
    "SELECT id FROM (SELECT id, launched_at, slurm_job FROM tasks INDEXED "
    "BY tasks_waiting WHERE state = 'queued' AND launched_at IS NOT NULL "
    "ORDER BY launched_at DESC, id DESC LIMIT 8) WHERE slurm_job IS NULL "
    "ORDER BY launched_at DESC, id DESC LIMIT 1" };

int
store__sched_unclaimed(struct store *st, int64_t *id, struct hg_err *e)
{
	return store__query_int(st, &q_sched_unclaimed, NULL, 0, id, e);
}

static const struct store_sql q_retry_next = { S_RETRY_NEXT,
    "SELECT min(retry_at) FROM tasks INDEXED BY tasks_retrying WHERE "
    "state = 'retrying'" };

int
store_retry_next(struct store *st, int64_t *at, struct hg_err *e)
{
	return store__query_int(st, &q_retry_next, NULL, 0, at, e);
}

static const struct store_sql q_any_unclaimed = { S_ANY_UNCLAIMED,
    "SELECT EXISTS (SELECT 1 FROM tasks WHERE state = "
    "'queued' AND launched_at < ?1 AND (slurm_job IS NULL OR "
    "runner_pid IS NULL))" };

/* A queued Slurm task that a runner took follows its pending job:
 * never taken back. */
static const struct store_sql q_sched_unlaunch = { S_SCHED_UNLAUNCH,
    "UPDATE tasks SET launched_at = NULL WHERE "
    "state = 'queued' AND launched_at < ?1 AND (slurm_job IS NULL OR "
    "runner_pid IS NULL)" };

/* Only while its job is not submitted: then a job may run. It undoes
 * the claim, whose raise of attempt (a later attempt's claim) comes
 * again with the next one. */
static const struct store_sql q_slurm_unclaim = { S_SLURM_UNCLAIM,
    "UPDATE tasks SET launched_at = NULL, runner_pid = NULL, runner_start "
    "= NULL, attempt = attempt - (started_at IS NOT NULL) WHERE id = ?1 "
    "AND state = 'queued' AND slurm_job = 0" };

int
store_slurm_unclaim(struct store *st, int64_t id, struct hg_err *e)
{
	if (store__exec_id(st, &q_slurm_unclaim, id, e) == -1)
		return -1;
	return sqlite3_changes(st->db) > 0;
}

int
store_sched_unlaunch(struct store *st, int64_t before)
{
	int64_t	 any;

	if (store__query_int(st, &q_any_unclaimed, NULL, before, &any,
	    NULL) == -1)
		return -1;
	if (!any)
		return 0;
	if (store__exec_id(st, &q_sched_unlaunch, before, NULL) == -1)
		return -1;
	return sqlite3_changes(st->db);
}
