/*
 * The queue: which queued tasks start, under the limits in all and per
 * kind, marked launched in the transaction that counts the slots.
 */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

/* Busy slots per kind, for one scheduling pass. */
struct kind_count {
	char	 kind[65];
	int	 busy;
};

#define SCHED_KINDS	256	/* distinct kinds counted in one pass */
#define SCHED_SCAN	1024	/* queued tasks looked at in one pass */

static struct kind_count *
count_of(struct kind_count *v, int *n, const char *kind)
{
	int	 i;

	for (i = 0; i < *n; i++)
		if (strcmp(v[i].kind, kind) == 0)
			return &v[i];
	if (*n == SCHED_KINDS)
		return NULL;
	snprintf(v[*n].kind, sizeof(v[*n].kind), "%s", kind);
	v[*n].busy = 0;
	return &v[(*n)++];
}

/* What holds a slot: running, stopping, or launched and waiting
 * for its runner to take it. External tasks run elsewhere: they
 * hold no slot and are never launched. */
static const struct store_sql q_sched_busy = { S_SCHED_BUSY,
    "SELECT kind, count(*) FROM tasks WHERE (state IN "
    "('running', 'stopping') AND external = 0) OR (state = 'queued' "
    "AND launched_at IS NOT NULL) GROUP BY kind" };

static const struct store_sql q_sched_waiting = { S_SCHED_WAITING,
    "SELECT id, kind FROM tasks WHERE state = "
    "'queued' AND launched_at IS NULL AND external = 0 ORDER BY id "
    "LIMIT ?1" };

static const struct store_sql q_sched_mark = { S_SCHED_MARK,
    "UPDATE tasks SET launched_at = ?2 WHERE id = ?1" };

/* Inside a write transaction: fills sc->ids, marks them launched, sets
 * sc->n. Returns 0, or -1 (the caller rolls back). */
int
store__sched_pick(struct store *st, struct sched *sc, struct hg_err *e)
{
	static __thread struct kind_count	 counts[SCHED_KINDS];
	struct kind_count	*kc;
	sqlite3_stmt		*s;
	const char		*kind;
	int			 nk = 0, busy = 0, n = 0, rc, lim;
	int64_t			 now = hg_now_ms();

	sc->n = 0;
	if ((s = store__stmt(st, &q_sched_busy)) == NULL)
		goto dbfail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		kind = (const char *)sqlite3_column_text(s, 0);
		if (kind != NULL && (kc = count_of(counts, &nk, kind)) != NULL)
			kc->busy = sqlite3_column_int(s, 1);
		busy += sqlite3_column_int(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto steperr;
	if (busy >= sc->max_running)
		return 0;
	if ((s = store__stmt(st, &q_sched_waiting)) == NULL)
		goto dbfail;
	sqlite3_bind_int(s, 1, SCHED_SCAN);
	while (n < sc->cap && busy < sc->max_running &&
	    (rc = sqlite3_step(s)) == SQLITE_ROW) {
		kind = (const char *)sqlite3_column_text(s, 1);
		if (kind == NULL || (kc = count_of(counts, &nk, kind)) == NULL)
			continue;
		lim = sc->limit != NULL ? sc->limit(sc->arg, kind) : 0;
		if (lim > 0 && kc->busy >= lim)
			continue;	/* a younger one of another kind may go */
		kc->busy++;
		busy++;
		sc->ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto steperr;
	for (int i = 0; i < n; i++) {
		if ((s = store__stmt(st, &q_sched_mark)) == NULL)
			goto dbfail;
		sqlite3_bind_int64(s, 1, sc->ids[i]);
		sqlite3_bind_int64(s, 2, now);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto steperr;
	}
	sc->n = n;
	return 0;
dbfail:
	rc = sqlite3_errcode(st->db);
steperr:
	store__err(st, rc, e);
	return -1;
}

/* Reads that tell whether a periodic write has anything to do:
 * a write statement takes the write lock even when it changes
 * nothing, and the janitor and every runner that ends would take
 * it for nothing most of the time. */
static const struct store_sql q_any_waiting = { S_ANY_WAITING,
    "SELECT EXISTS (SELECT 1 FROM tasks WHERE state = "
    "'queued' AND launched_at IS NULL AND external = 0)" };

int
store_sched_take(struct store *st, struct sched *sc, struct hg_err *e)
{
	int64_t		 any;

	sc->n = 0;
	if (store__query_int(st, &q_any_waiting, NULL, 0, &any, e) == -1)
		return -1;
	if (!any)
		return 0;
	if (store__begin(st, 1, e) == -1)
		return -1;
	if (store__sched_pick(st, sc, e) == -1) {
		sc->n = 0;
		store__rollback(st);
		return -1;
	}
	if (sc->n == 0) {
		store__rollback(st);
		return 0;
	}
	if (store__commit(st, e) == -1) {
		sc->n = 0;
		return -1;
	}
	return sc->n;
}

static const struct store_sql q_any_unclaimed = { S_ANY_UNCLAIMED,
    "SELECT EXISTS (SELECT 1 FROM tasks WHERE state = "
    "'queued' AND launched_at < ?1)" };

static const struct store_sql q_sched_unlaunch = { S_SCHED_UNLAUNCH,
    "UPDATE tasks SET launched_at = NULL WHERE "
    "state = 'queued' AND launched_at < ?1" };

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
