/*
 * Answers to GET /api/tasks, kept while nothing they show has changed: a
 * page that polls, and many pages open at once, ask for the same list
 * far more often than a task changes. Every change a list can show comes
 * with a new event in the same transaction, except a task being
 * forgotten (a delete, or retention), which bumps a generation here. An
 * answer is kept with the newest event id of its snapshot and the
 * generation read before it; while both are still current, it is what a
 * fresh read would give, byte for byte.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hg.h"
#include "listcache.h"


struct slot {
	char		 key[160];
	int64_t		 event;
	uint64_t	 gen;
	uint64_t	 used;		/* for least recently used */
	char		*body;
	size_t		 len;
};

static struct {
	pthread_mutex_t	 mu;
	struct slot	 v[HG_LISTCACHE_SLOTS];
	uint64_t	 gen, tick;
} lc = { .mu = PTHREAD_MUTEX_INITIALIZER };

uint64_t
listcache_gen(void)
{
	uint64_t	 g;

	pthread_mutex_lock(&lc.mu);
	g = lc.gen;
	pthread_mutex_unlock(&lc.mu);
	return g;
}

void
listcache_forget(void)
{
	pthread_mutex_lock(&lc.mu);
	lc.gen++;
	pthread_mutex_unlock(&lc.mu);
}

int64_t
listcache_event(const char *key)
{
	int64_t	 event = 0;
	size_t	 i;

	pthread_mutex_lock(&lc.mu);
	for (i = 0; i < HG_LISTCACHE_SLOTS; i++)
		if (lc.v[i].body != NULL && lc.v[i].gen == lc.gen &&
		    strcmp(lc.v[i].key, key) == 0) {
			event = lc.v[i].event;
			break;
		}
	pthread_mutex_unlock(&lc.mu);
	return event;
}

char *
listcache_get(const char *key, int64_t event, size_t *len)
{
	struct slot	*s;
	char		*copy = NULL;
	size_t		 i;

	pthread_mutex_lock(&lc.mu);
	for (i = 0; i < HG_LISTCACHE_SLOTS; i++) {
		s = &lc.v[i];
		if (s->body == NULL || s->event != event || s->gen != lc.gen ||
		    strcmp(s->key, key) != 0)
			continue;
		if ((copy = malloc(s->len)) != NULL) {
			memcpy(copy, s->body, s->len);
			*len = s->len;
			s->used = ++lc.tick;
		}
		break;
	}
	pthread_mutex_unlock(&lc.mu);
	return copy;
}

void
listcache_put(const char *key, int64_t event, uint64_t gen,
    const char *body, size_t len)
{
	struct slot	*s = NULL;
	char		*copy;
	size_t		 i;

	if (len > HG_LISTCACHE_BODY_MAX || strlen(key) >= sizeof(s->key) ||
	    (copy = malloc(len)) == NULL)
		return;
	memcpy(copy, body, len);
	pthread_mutex_lock(&lc.mu);
	for (i = 0; i < HG_LISTCACHE_SLOTS; i++) {
		if (strcmp(lc.v[i].key, key) == 0) {
			s = &lc.v[i];
			break;
		}
		if (s == NULL || lc.v[i].used < s->used)
			s = &lc.v[i];
	}
	free(s->body);
	snprintf(s->key, sizeof(s->key), "%s", key);
	s->event = event;
	s->gen = gen;
	s->body = copy;
	s->len = len;
	s->used = ++lc.tick;
	pthread_mutex_unlock(&lc.mu);
}

void
listcache_free(void)
{
	size_t	 i;

	pthread_mutex_lock(&lc.mu);
	for (i = 0; i < HG_LISTCACHE_SLOTS; i++) {
		free(lc.v[i].body);
		lc.v[i].body = NULL;
		lc.v[i].key[0] = '\0';
	}
	pthread_mutex_unlock(&lc.mu);
}
