/*
 * GET /api/tasks answers, kept while current. The generation changes
 * when a task is forgotten; read it before the snapshot an answer is
 * made from.
 */
#ifndef HG_LISTCACHE_H
#define HG_LISTCACHE_H

#include <stddef.h>
#include <stdint.h>

/* The generation now. */
uint64_t	 listcache_gen(void);
/* A task was forgotten: no kept answer is current any more. */
void		 listcache_forget(void);
/*
 * Sets gen to the generation now, and returns the answer kept for key
 * in it, with event set to the newest event id it shows; or NULL, with
 * event 0. The answer is a reference, readable until
 * listcache_release(): current if no event came after event and gen is
 * still the generation once that is known.
 */
struct listcache_body;
struct listcache_body *listcache_find(const char *key, int64_t *event,
		    uint64_t *gen);
const char	*listcache_body(const struct listcache_body *, size_t *len);
void		 listcache_release(struct listcache_body *);
/* Keeps body (malloc'd; the cache owns it from now on, and frees it if
 * it is not kept) as key's answer at event, made from a snapshot read
 * after gen was. */
void		 listcache_put(const char *key, int64_t event, uint64_t gen,
		    char *body, size_t len);
/* Frees every answer; only once no request can run. */
void		 listcache_free(void);

#endif
