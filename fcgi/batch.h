/*
 * Creates made together: those that arrive while one transaction of
 * creates is being made wait, and go into the next, one commit for all.
 */
#ifndef HG_BATCH_H
#define HG_BATCH_H

#include "store.h"

/* At most this many creates in one transaction. */
#define BATCH_MAX	32

/*
 * Makes the create it (it->kind, name, params and opts set), with others
 * waiting at the same time, in one transaction (store_task_create_many)
 * made on st, or on another thread's connection. Sets it->rc, it->task
 * and it->e as that does, and returns it->rc.
 */
int	batch_create(struct store *st, struct create_item *it);

#endif
