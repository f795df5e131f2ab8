/*
 * The handlers of /api/tasks and /api/tasks/{id}, their method checked
 * by the router; id is a parsed task id.
 */
#ifndef HG_TASKS_H
#define HG_TASKS_H

#include <stdint.h>

#include "http.h"
#include "store.h"

void	 tasks_create(struct req *r);		/* POST /api/tasks */
void	 tasks_list(struct req *r);		/* GET /api/tasks */
void	 tasks_get(struct req *r, int64_t id);
void	 tasks_stop(struct req *r, int64_t id);	/* POST .../stop */
void	 tasks_delete(struct req *r, int64_t id);
void	 tasks_log(struct req *r, int64_t id);	/* GET .../log */
void	 tasks_data(struct req *r, int64_t id);	/* GET .../data */
/* POST .../rerun: a new task with a finished one's kind, params, name. */
void	 tasks_rerun(struct req *r, int64_t id);

/*
 * A task of schedule sc, its kind and params checked against the kinds
 * file as it is now, made in one transaction with the schedule's record
 * of it: due is the run that was due and next its next time (due 0: a
 * run asked for now, which leaves the next time alone). Sets *task
 * (caller frees) and returns 0, or -1 with e set.
 */
int	 tasks_create_scheduled(struct store *st, const struct schedule *sc,
	    int64_t due, int64_t next, cJSON **task, struct hg_err *e);

#endif
