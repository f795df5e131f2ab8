/*
 * fcgi/pool: the request threads' SQLite connections. An idle server
 * closes every connection a burst opened and keeps one opened after
 * them; while requests go on beside it, no more than HG_POOL_MAX are
 * ever lent or kept idle.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../fcgi/pool.h"
#include "../../fcgi/server.h"
#include "hg.h"
#include "objcache.h"
#include "store/store_int.h"
#include "unit.h"

/* A migrated database in this test's folder, as the server's start
 * leaves it, and the pool's first connection. */
static void
setup(void)
{
	struct store	*st;
	char		 err[256];

	memset(&srv, 0, sizeof(srv));
	CHECK(strlen(unit_dir) + 16 < sizeof(srv.cfg.db));
	memcpy(srv.cfg.db, unit_dir, strlen(unit_dir));
	strcat(srv.cfg.db, "/hourglass.db");
	CHECK((srv.objs = objcache_new()) != NULL);
	CHECK((st = store_open(srv.cfg.db, 1, err, sizeof(err))) != NULL);
	store_close(st);
	CHECK_INT(pool_init(err, sizeof(err)), 0);
}

static void
teardown(void)
{
	pool_fini();
	objcache_free(srv.objs);
}

/* Whether st's connection has the temporary table a burst made: a
 * temporary table is its connection's own, and goes with it. */
static int
marked(struct store *st)
{
	sqlite3_stmt	*s;
	int		 n = -1;

	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM "
	    "temp.sqlite_master WHERE name = 'burst'", -1, &s, NULL) ==
	    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void
idle_the_burst_is_closed_and_one_opened_after_it(void)
{
	struct store	*lent[HG_POOL_MAX];
	struct hg_err	 e;
	char		 db[sizeof(srv.cfg.db)];
	int64_t		 last;
	int		 i;

	setup();
	for (i = 0; i < HG_POOL_MAX; i++) {
		CHECK((lent[i] = pool_get(&e)) != NULL);
		CHECK(sqlite3_exec(lent[i]->db, "CREATE TEMP TABLE burst(x)",
		    NULL, NULL, NULL) == SQLITE_OK);
		CHECK_INT(marked(lent[i]), 1);
	}
	for (i = 0; i < HG_POOL_MAX; i++)
		pool_put(lent[i]);
	pool_release_memory();
	/* One is ready, opened already: lent while no other could be
	 * opened. It is none of the burst's. */
	memcpy(db, srv.cfg.db, sizeof(db));
	snprintf(srv.cfg.db, sizeof(srv.cfg.db), "/nonexistent/hourglass.db");
	CHECK((lent[0] = pool_get(&e)) != NULL);
	memcpy(srv.cfg.db, db, sizeof(db));
	if (lent[0] == NULL)
		return;
	CHECK_INT(marked(lent[0]), 0);
	CHECK_INT(store_event_last(lent[0], &last), 0);
	/* The rest are opened on demand, up to the limit again. */
	for (i = 1; i < HG_POOL_MAX; i++) {
		CHECK((lent[i] = pool_get(&e)) != NULL);
		CHECK_INT(marked(lent[i]), 0);
	}
	for (i = 0; i < HG_POOL_MAX; i++)
		pool_put(lent[i]);
	teardown();
}

static atomic_int	 lent_now, lent_most;
static atomic_int	 stop_all;

static void *
borrower(void *arg)
{
	struct store	*st;
	struct hg_err	 e;
	int64_t		 last;
	int		 n, most;

	(void)arg;
	while (!atomic_load(&stop_all)) {
		if ((st = pool_get(&e)) == NULL)
			continue;
		n = atomic_fetch_add(&lent_now, 1) + 1;
		most = atomic_load(&lent_most);
		while (n > most && !atomic_compare_exchange_weak(&lent_most,
		    &most, n))
			;
		(void)store_event_last(st, &last);
		usleep(50);
		atomic_fetch_sub(&lent_now, 1);
		pool_put(st);
		/* As requests come: now and then all are idle at once. */
		usleep(200);
	}
	return NULL;
}

static void *
releaser(void *arg)
{
	int	 round;

	(void)arg;
	for (round = 0; round < 300; round++)
		pool_release_memory();
	return NULL;
}

static void
releases_beside_requests_never_pass_the_limit(void)
{
	pthread_t	 t[2 * HG_POOL_MAX], r[2];
	size_t		 i;

	setup();
	atomic_store(&stop_all, 0);
	atomic_store(&lent_most, 0);
	/* More borrowers than connections, and releases from two threads
	 * at once, as idle request threads may. A release that added a
	 * connection past the limit (all came back while it closed the
	 * idle ones) would trip pool_put's assertion. */
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(pthread_create(&t[i], NULL, borrower, NULL) == 0);
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		CHECK(pthread_create(&r[i], NULL, releaser, NULL) == 0);
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		pthread_join(r[i], NULL);
	atomic_store(&stop_all, 1);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		pthread_join(t[i], NULL);
	CHECK(atomic_load(&lent_most) <= HG_POOL_MAX);
	teardown();
}

static const struct unit_test tests[] = {
	UNIT(idle_the_burst_is_closed_and_one_opened_after_it),
	UNIT(releases_beside_requests_never_pass_the_limit),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
