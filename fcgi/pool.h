/*
 * The request threads' SQLite connections, at most HG_POOL_MAX, lent
 * one at a time. The feed and the janitor have connections of their
 * own.
 */
#ifndef HG_POOL_H
#define HG_POOL_H

#include <stddef.h>

#include "hg.h"
#include "store.h"

/* Opens one connection, so that a bad database fails the start.
 * Returns 0, or -1 with the reason in err. */
int		 pool_init(char *err, size_t errlen);
/* Returns a store, waiting while all HG_POOL_MAX are lent; NULL with e
 * set (503) if none can be opened. Give it back with pool_put(). */
struct store	*pool_get(struct hg_err *e);
void		 pool_put(struct store *st);
/* For a server gone idle, before the heap is trimmed: closes the idle
 * connections, and opens one again with its schema read (a request
 * that takes it reads its pages again, from the OS's cache, and
 * prepares its statements). */
void		 pool_release_memory(void);
/* Closes the idle connections; only once no request can run. */
void		 pool_fini(void);

#endif
