/*
 * A group commit of creates. Each create was a write transaction of its
 * own, and under load most of a create's time was the wait for the
 * write gate and the commit's own work: the pages of the task, its event
 * and the indexes read again and written to the log. Creates that arrive
 * together share all of it.
 *
 * A create joins the line. If no transaction of creates is being made,
 * its thread makes one of the line as it stands (up to BATCH_MAX, itself
 * among them), on its own connection; the others wait, and are told when
 * theirs is made. While it is being made, new creates line up for the
 * next. A create alone makes its own at once, as before.
 */
#include <pthread.h>
#include <stddef.h>

#include "batch.h"

struct waiter {
	struct create_item	*it;
	int			 done;
	struct waiter		*next;
};

static struct {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct waiter		*head;
	struct waiter		**tail;
	int			 making;	/* a transaction is made */
} line = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL,
    &line.head, 0 };

int
batch_create(struct store *st, struct create_item *it)
{
	struct waiter		 me = { it, 0, NULL }, *w[BATCH_MAX];
	struct create_item	*v[BATCH_MAX];
	size_t			 n, i;

	pthread_mutex_lock(&line.mu);
	*line.tail = &me;
	line.tail = &me.next;
	while (!me.done) {
		if (line.making) {
			pthread_cond_wait(&line.cv, &line.mu);
			continue;
		}
		line.making = 1;
		for (n = 0; n < BATCH_MAX && line.head != NULL; n++) {
			w[n] = line.head;
			v[n] = w[n]->it;
			if ((line.head = line.head->next) == NULL)
				line.tail = &line.head;
		}
		pthread_mutex_unlock(&line.mu);
		(void)store_task_create_many(st, v, n);
		pthread_mutex_lock(&line.mu);
		for (i = 0; i < n; i++)
			w[i]->done = 1;
		line.making = 0;
		pthread_cond_broadcast(&line.cv);
	}
	pthread_mutex_unlock(&line.mu);
	return it->rc;
}
