#include <pthread.h>
#include <stdio.h>

#include "server.h"

static struct {
	pthread_mutex_t	 mu;	/* guards idle, nidle, nopen */
	pthread_cond_t	 cv;	/* signalled when a store comes back */
	struct store	*idle[HG_POOL_MAX];
	int		 nidle;
	int		 nopen;
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, 0,
    0 };

int
pool_init(char *err, size_t errlen)
{
	struct store	*st;

	/* One connection now, so that a bad database fails the start. */
	if ((st = store_open(srv.cfg.db, 0, err, errlen)) == NULL)
		return -1;
	pool.nopen = 1;
	pool_put(st);
	return 0;
}

struct store *
pool_get(struct hg_err *e)
{
	struct store	*st = NULL;
	char		 err[256];

	pthread_mutex_lock(&pool.mu);
	while (pool.nidle == 0 && pool.nopen >= HG_POOL_MAX)
		pthread_cond_wait(&pool.cv, &pool.mu);
	if (pool.nidle > 0)
		st = pool.idle[--pool.nidle];
	else
		pool.nopen++;
	pthread_mutex_unlock(&pool.mu);
	if (st != NULL)
		return st;
	/* Opened outside the lock: it reads the schema from disk. */
	if ((st = store_open(srv.cfg.db, 0, err, sizeof(err))) == NULL) {
		pthread_mutex_lock(&pool.mu);
		pool.nopen--;
		pthread_cond_signal(&pool.cv);
		pthread_mutex_unlock(&pool.mu);
		hg_err_set(e, 503, "unavailable", "database: %s", err);
	}
	return st;
}

void
pool_put(struct store *st)
{
	pthread_mutex_lock(&pool.mu);
	pool.idle[pool.nidle++] = st;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
}

void
pool_fini(void)
{
	pthread_mutex_lock(&pool.mu);
	while (pool.nidle > 0)
		store_close(pool.idle[--pool.nidle]);
	pool.nopen = 0;
	pthread_mutex_unlock(&pool.mu);
}
