/*
 * GET /api/tasks answers, kept while current. The generation changes
 * when a task is forgotten; read it before the snapshot an answer is
 * made from.
 */
#ifndef HG_LISTCACHE_H
#define HG_LISTCACHE_H

#include <stddef.h>
#include <stdint.h>

uint64_t	 listcache_gen(void);
/* A task was forgotten: no kept answer is current any more. */
void		 listcache_forget(void);
/* The newest event id of the answer kept for key, 0 if none. */
int64_t		 listcache_event(const char *key);
/* Returns a malloc'd copy (caller frees) of the answer kept for key at
 * event, or NULL. */
char		*listcache_get(const char *key, int64_t event, size_t *len);
/* Keeps a copy of body (borrowed) as key's answer at event, made from
 * a snapshot read after gen was. */
void		 listcache_put(const char *key, int64_t event, uint64_t gen,
		    const char *body, size_t len);
/* Frees every answer; only once no request can run. */
void		 listcache_free(void);

#endif
