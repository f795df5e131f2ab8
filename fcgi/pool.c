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

/* Opens a connection for a token taken, or gives the token back. */
static struct store *
open_lent(struct hg_err *e)
{
	struct store	*st;
	char		 err[256];

	/* Outside the lock, as it reads the schema from disk. */
	if ((st = store_open(srv.cfg.db, 0, err, sizeof(err))) == NULL) {
		sem_post(&pool.tokens);
		hg_err_set(e, 503, "unavailable", "database: %s", err);
	} else
		store_keep_objects(st, srv.objs);
	return st;
}

/* An idle connection, taken out of the pool, or NULL if none is. */
static struct store *
take_idle(void)
{
	struct store	*st = NULL;

	pthread_mutex_lock(&pool.mu);
	if (pool.nidle > 0)
		st = pool.idle[--pool.nidle];
	pthread_mutex_unlock(&pool.mu);
	return st;
}

struct store *
pool_get(struct hg_err *e)
{
	struct store	*st;

	while (sem_wait(&pool.tokens) == -1)
		assert(errno == EINTR);
	/* An idle one, or, with none idle, one not yet opened. */
	return (st = take_idle()) != NULL ? st : open_lent(e);
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
	struct hg_err	 e;
	int64_t		 last;
	int		 i, n = 0;

	/*
	 * A connection holds its schema and its prepared statements, a few
	 * hundred KiB, made as a burst went on and so spread over the heap
	 * among what the burst freed: the one connection kept held about
	 * 0.9 MiB of an idle server with the pages around it. Every idle
	 * one is closed (as not yet opened, the semaphore counts them the
	 * same), and one opened again, its schema read (any statement
	 * reads it), so that the next request finds it ready; the caller
	 * trims the heap after.
	 */
	pthread_mutex_lock(&pool.mu);
	while (pool.nidle > 0)
		st[n++] = pool.idle[--pool.nidle];
	pthread_mutex_unlock(&pool.mu);
	for (i = 0; i < n; i++)
		store_close(st[i]);
	/* Lent and given back, but never waited for: all lent, a burst
	 * has begun and opens its own. One a request brought back while
	 * the above were closed is closed too, and opened again in its
	 * place, on the token taken for it. */
	if (sem_trywait(&pool.tokens) == -1)
		return;
	store_close(take_idle());
	if ((st[0] = open_lent(&e)) == NULL)
		return;
	(void)store_event_last(st[0], &last);
	pool_put(st[0]);
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
