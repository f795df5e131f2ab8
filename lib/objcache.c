#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hg.h"
#include "objcache.h"

/* An object's text, never changed once kept: a page that took it
 * writes it out without the lock, and the last reference frees it. */
struct objcache_text {
	atomic_int	 refs;
	size_t		 len;
	char		 p[];
};

/* A task's kept object. A slot holds the task whose id it is modulo
 * HG_OBJCACHE_SLOTS: the newest tasks, which pages show most, never
 * push each other out. */
struct obj {
	int64_t			 id;	/* 0: empty */
	int64_t			 snap;	/* newest event id of its snapshot */
	struct objcache_text	*text;
};

struct objcache {
	pthread_mutex_t	 mu;	/* guards all below */
	struct obj	 v[HG_OBJCACHE_SLOTS];
	size_t		 n;	/* objects kept */
	size_t		 bytes;	/* of their texts */
	int64_t		 seen;
	uint64_t	 hits, misses;
};

struct objcache *
objcache_new(void)
{
	struct objcache	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

void
objcache_release(struct objcache_text *t)
{
	if (t != NULL && atomic_fetch_sub(&t->refs, 1) == 1)
		free(t);
}

const char *
objcache_text(const struct objcache_text *t, size_t *len)
{
	*len = t->len;
	return t->p;
}

/* With c->mu held. */
static void
drop(struct objcache *c, struct obj *o)
{
	c->bytes -= o->text->len;
	c->n--;
	objcache_release(o->text);
	memset(o, 0, sizeof(*o));
}

/* With c->mu held. */
static void
drop_all(struct objcache *c)
{
	size_t	 i;

	for (i = 0; i < HG_OBJCACHE_SLOTS; i++)
		if (c->v[i].id != 0)
			drop(c, &c->v[i]);
}

void
objcache_free(struct objcache *c)
{
	if (c == NULL)
		return;
	drop_all(c);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static struct obj *
slot(struct objcache *c, int64_t id)
{
	return &c->v[(uint64_t)id % HG_OBJCACHE_SLOTS];
}

int64_t
objcache_seen(struct objcache *c)
{
	int64_t	 seen;

	pthread_mutex_lock(&c->mu);
	seen = c->seen;
	pthread_mutex_unlock(&c->mu);
	return seen;
}

void
objcache_saw(struct objcache *c, const int64_t *ids, size_t n, int64_t upto)
{
	struct obj	*o;
	size_t		 i;

	pthread_mutex_lock(&c->mu);
	/* Else a reader with a newer snapshot read these events and more,
	 * from a seen no newer than the one this reader started at. */
	if (upto > c->seen) {
		if (ids == NULL)
			drop_all(c);
		/* An empty slot's id is 0, no task's. */
		for (i = 0; ids != NULL && i < n; i++)
			if (ids[i] != 0 && (o = slot(c, ids[i]))->id == ids[i])
				drop(c, o);
		c->seen = upto;
	}
	pthread_mutex_unlock(&c->mu);
}

size_t
objcache_take(struct objcache *c, const int64_t *ids, size_t n, int64_t snap,
    struct objcache_text **got)
{
	struct obj	*o;
	size_t		 i, found = 0;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < n; i++) {
		got[i] = NULL;
		o = slot(c, ids[i]);
		/* Newer than the snapshot, it may show what the page must
		 * not; and a snapshot newer than seen may hold events whose
		 * objects are not dropped yet. */
		if (o->id == 0 || o->id != ids[i] || o->snap > snap ||
		    snap > c->seen)
			continue;
		atomic_fetch_add(&o->text->refs, 1);
		got[i] = o->text;
		found++;
	}
	c->hits += found;
	c->misses += n - found;
	pthread_mutex_unlock(&c->mu);
	return found;
}

void
objcache_put(struct objcache *c, const int64_t *ids, size_t n, int64_t snap,
    const char *text, const size_t *at, const size_t *len)
{
	struct obj		 *o;
	struct objcache_text	**copy;
	size_t			  i;

	/* The copies are made outside the lock, which every page takes. */
	if (n == 0 || (copy = calloc(n, sizeof(*copy))) == NULL)
		return;
	for (i = 0; i < n; i++)
		if (len[i] > 0 && len[i] <= HG_OBJCACHE_OBJ_MAX &&
		    (copy[i] = malloc(sizeof(*copy[i]) + len[i])) != NULL) {
			atomic_init(&copy[i]->refs, 1);
			copy[i]->len = len[i];
			memcpy(copy[i]->p, text + at[i], len[i]);
		}
	pthread_mutex_lock(&c->mu);
	/* An event after snap may be of one of these tasks, its object
	 * dropped before this copy came. */
	for (i = 0; i < n && snap == c->seen; i++) {
		if (copy[i] == NULL)
			continue;
		if ((o = slot(c, ids[i]))->id != 0)
			drop(c, o);
		/* Full: the slots of newer tasks free room as they come. */
		if (c->bytes + len[i] > HG_OBJCACHE_BYTES)
			continue;
		o->id = ids[i];
		o->snap = snap;
		o->text = copy[i];
		copy[i] = NULL;
		c->bytes += len[i];
		c->n++;
	}
	pthread_mutex_unlock(&c->mu);
	for (i = 0; i < n; i++)
		free(copy[i]);
	free(copy);
}

int
objcache_empty(struct objcache *c)
{
	int	 empty;

	pthread_mutex_lock(&c->mu);
	empty = c->n == 0;
	pthread_mutex_unlock(&c->mu);
	return empty;
}

void
objcache_counts(struct objcache *c, uint64_t *hits, uint64_t *misses)
{
	pthread_mutex_lock(&c->mu);
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->mu);
}
