/*
 * Tasks' objects as a list page writes them, kept between pages and
 * shared by the threads that read lists. A list answer kept whole
 * (fcgi/listcache.c) is of no use once anything changed; most of the
 * page then is tasks that did not, and their text is what it was.
 *
 * An object is kept with the newest event id of the snapshot it was
 * read from. Every change a list can show comes with an event of its
 * task in the same transaction (events.c), so the kept text of a task
 * is current as long as no event of that task came after it. The cache
 * learns of events as readers pass them on: seen is the newest event id
 * whose tasks' objects it has dropped, and each reader that sees newer
 * events drops their tasks' objects before it looks anything up.
 *
 * A forgotten task's removal writes an event of its own. A queued
 * task's object is never kept (lib/store/tasks.c says why).
 *
 * The store does all of this (store_keep_objects); the server makes one
 * cache for its request threads.
 */
#ifndef HG_OBJCACHE_H
#define HG_OBJCACHE_H

#include <stddef.h>
#include <stdint.h>

struct objcache;

/* A new empty cache, or NULL (no memory). Free with objcache_free(). */
struct objcache	*objcache_new(void);
void		 objcache_free(struct objcache *c);

/* The newest event id whose tasks' objects are dropped. */
int64_t		 objcache_seen(struct objcache *c);
/* The events after objcache_seen() up to upto were of the n tasks ids
 * (repeats allowed): drops their objects, and seen becomes upto if it
 * is older. With ids NULL, the events were too many to name: drops all. */
void		 objcache_saw(struct objcache *c, const int64_t *ids, size_t n,
		    int64_t upto);

/*
 * For a page read from the snapshot at event id snap (no newer than
 * seen: call objcache_saw first): for each of the n ids, sets got[i]
 * to the kept object's text, or to NULL where none is kept that the
 * snapshot can show. Returns how many it found. Each text found is a
 * reference: readable, unchanged, until objcache_release().
 */
struct objcache_text;
size_t		 objcache_take(struct objcache *c, const int64_t *ids,
		    size_t n, int64_t snap, struct objcache_text **got);
const char	*objcache_text(const struct objcache_text *t, size_t *len);
/* Gives back a reference objcache_take() gave; NULL is left alone. */
void		 objcache_release(struct objcache_text *t);
/* Keeps a copy of each task ids[i]'s object, len[i] bytes of text at
 * text + at[i] (borrowed), read from the snapshot at event id snap;
 * none if the cache has dropped objects for a later event since, and
 * none that would take it past HG_OBJCACHE_BYTES. Can't fail: an object
 * not kept is read again. */
void		 objcache_put(struct objcache *c, const int64_t *ids, size_t n,
		    int64_t snap, const char *text, const size_t *at,
		    const size_t *len);
/* Whether the cache keeps no object: a page need not look. */
int		 objcache_empty(struct objcache *c);

/* What lookups found, for tests: objects found and not found. */
void		 objcache_counts(struct objcache *c, uint64_t *hits,
		    uint64_t *misses);

#endif
