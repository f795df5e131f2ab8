/*
 * Answers to GET /api/tasks, kept while nothing they show has changed: a
 * page that polls, and many pages open at once, ask for the same list
 * far more often than a task changes. Every change a list can show comes
 * with a new event in the same transaction, except a task being
 * forgotten (a delete, or retention), which bumps a generation here. An
 * answer is kept with the newest event id of its snapshot and the
 * generation read before it; while both are still current, it is what a
 * fresh read would give, byte for byte.
 *
 * An answer is never copied: the cache keeps the one just sent, and a
 * request sends a kept one while it holds a reference to it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hg.h"
#include "listcache.h"


struct listcache_body {
	atomic_int	 refs;
	size_t		 len;
	char		*p;
};

struct slot {
	char		 key[160];
	int64_t		 event;
	uint64_t	 gen;
	uint64_t	 used;		/* for least recently used */
	struct listcache_body *body;
};

static struct {
	pthread_mutex_t	 mu;	/* guards v and tick */
	struct slot	 v[HG_LISTCACHE_SLOTS];
	uint64_t	 tick;
	_Atomic uint64_t gen;
} lc = { .mu = PTHREAD_MUTEX_INITIALIZER };

uint64_t
listcache_gen(void)
{
	return atomic_load(&lc.gen);
}

void
listcache_forget(void)
{
	atomic_fetch_add(&lc.gen, 1);
}

const char *
listcache_body(const struct listcache_body *b, size_t *len)
{
	*len = b->len;
	return b->p;
}

void
listcache_release(struct listcache_body *b)
{
	if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1) {
		free(b->p);
		free(b);
	}
}

struct listcache_body *
listcache_find(const char *key, int64_t *event, uint64_t *gen)
{
	struct slot		*s;
	struct listcache_body	*b = NULL;
	size_t			 i;

	*event = 0;
	pthread_mutex_lock(&lc.mu);
	*gen = atomic_load(&lc.gen);
	for (i = 0; i < HG_LISTCACHE_SLOTS; i++) {
		s = &lc.v[i];
		if (s->body == NULL || s->gen != *gen ||
		    strcmp(s->key, key) != 0)
			continue;
		b = s->body;
		atomic_fetch_add(&b->refs, 1);
		*event = s->event;
		s->used = ++lc.tick;
		break;
	}
	pthread_mutex_unlock(&lc.mu);
	return b;
}

void
listcache_put(const char *key, int64_t event, uint64_t gen, char *body,
    size_t len)
{
	struct slot		*s = NULL;
	struct listcache_body	*b, *old;
	char			*p;
	size_t			 i;

	if (len > HG_LISTCACHE_BODY_MAX || strlen(key) >= sizeof(s->key) ||
	    (b = malloc(sizeof(*b))) == NULL) {
		free(body);
		return;
	}
	/* The answer was written with room to spare (a page of 50 in 32
	 * KiB): kept, it holds its bytes only. Shrinking stays in place. */
	if ((p = realloc(body, len > 0 ? len : 1)) != NULL)
		body = p;
	atomic_init(&b->refs, 1);
	b->len = len;
	b->p = body;
	pthread_mutex_lock(&lc.mu);
	for (i = 0; i < HG_LISTCACHE_SLOTS; i++) {
		if (strcmp(lc.v[i].key, key) == 0) {
			s = &lc.v[i];
			break;
		}
		if (s == NULL || lc.v[i].used < s->used)
			s = &lc.v[i];
	}
	old = s->body;
	snprintf(s->key, sizeof(s->key), "%s", key);
	s->event = event;
	s->gen = gen;
	s->body = b;
	s->used = ++lc.tick;
	pthread_mutex_unlock(&lc.mu);
	listcache_release(old);
}

void
listcache_free(void)
{
	size_t	 i;

	pthread_mutex_lock(&lc.mu);
	for (i = 0; i < HG_LISTCACHE_SLOTS; i++) {
		listcache_release(lc.v[i].body);
		lc.v[i].body = NULL;
		lc.v[i].key[0] = '\0';
	}
	pthread_mutex_unlock(&lc.mu);
}
