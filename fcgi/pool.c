#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#include "pool.h"
#include "server.h"

/*
 * The request threads' SQLite connections. Many threads may want one at
 * once (one per request nginx has in flight) while a 2-core machine runs
 * two: a thread that finds none lent waits on the semaphore, which counts
 * the connections free or not yet opened, and is woken alone when one
 * comes back. The mutex is held only to take or leave one, so that the
 * waiters do not queue on it as they would with a condition variable.
 */
static struct {
	sem_t		 tokens;	/* connections idle or not yet opened */
	pthread_mutex_t	 mu;	/* guards idle and nidle */
	struct store	*idle[HG_POOL_MAX];
	int		 nidle;
} pool = { .mu = PTHREAD_MUTEX_INITIALIZER };

int
pool_init(char *err, size_t errlen)
{
	struct store	*st;

	if (sem_init(&pool.tokens, 0, HG_POOL_MAX - 1) == -1) {
		snprintf(err, errlen, "sem_init: %s", strerror(errno));
		return -1;
	}
	/* One connection now, so that a bad database fails the start. */
	if ((st = store_open(srv.cfg.db, 0, err, errlen)) == NULL)
		return -1;
	store_keep_objects(st, srv.objs);
	pool_put(st);
	return 0;
}

struct store *
pool_get(struct hg_err *e)
{
	struct store	*st = NULL;
	char		 err[256];

	while (sem_wait(&pool.tokens) == -1)
		assert(errno == EINTR);
	pthread_mutex_lock(&pool.mu);
	if (pool.nidle > 0)
		st = pool.idle[--pool.nidle];
	pthread_mutex_unlock(&pool.mu);
	if (st != NULL)
		return st;
	/* None idle, one not yet opened: opened outside the lock, as it
	 * reads the schema from disk. */
	if ((st = store_open(srv.cfg.db, 0, err, sizeof(err))) == NULL) {
		sem_post(&pool.tokens);
		hg_err_set(e, 503, "unavailable", "database: %s", err);
	} else
		store_keep_objects(st, srv.objs);
	return st;
}

void
pool_put(struct store *st)
{
	pthread_mutex_lock(&pool.mu);
	assert(pool.nidle < HG_POOL_MAX);
	pool.idle[pool.nidle++] = st;
	pthread_mutex_unlock(&pool.mu);
	sem_post(&pool.tokens);
}

void
pool_release_memory(void)
{
	struct store	*st[HG_POOL_MAX];
	int		 i, n = 0;

	/* A connection holds its schema and its prepared statements, a few
	 * hundred KiB: those a burst opened are closed, all but one, and
	 * opened again by the next burst (as not yet opened, the semaphore
	 * counts them the same). */
	pthread_mutex_lock(&pool.mu);
	while (pool.nidle > 1)
		st[n++] = pool.idle[--pool.nidle];
	for (i = 0; i < pool.nidle; i++)
		store_release_memory(pool.idle[i]);
	pthread_mutex_unlock(&pool.mu);
	for (i = 0; i < n; i++)
		store_close(st[i]);
}

/* The semaphore is left as it is: a request thread that outlived the
 * wait at shutdown may still be on it, and the process exits next. */
void
pool_fini(void)
{
	pthread_mutex_lock(&pool.mu);
	while (pool.nidle > 0)
		store_close(pool.idle[--pool.nidle]);
	pthread_mutex_unlock(&pool.mu);
}
