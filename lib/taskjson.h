/*
 * The JSON shape of a task and of its progress and log events: the one
 * place that says which keys a client gets, and how each is written.
 * The store reads a row into a struct task_row and hands it here; this
 * module knows no SQL.
 *
 * A task is written into a cJSON tree (a single read, an event, what a
 * handler adds to) or as JSON text into a json_buf (a list page, where
 * building the tree and printing it cost more than the query). One
 * function describes the object for both, so the two cannot drift
 * apart, and the text is what printing the tree gives, byte for byte
 * (tests/unit/test_listjson.c).
 */
#ifndef HG_TASKJSON_H
#define HG_TASKJSON_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "state.h"

#define TASK_TIME_NONE	INT64_MIN	/* a time that is null */

/* A task as stored; every string borrowed, for the length of a call. */
struct task_row {
	int64_t		 id;
	const char	*kind;
	const char	*name;		/* NULL: none */
	const char	*params;	/* JSON text of our own, as it is */
	enum task_state	 state;
	double		 value;
	int		 has_total;
	double		 total;
	const char	*message;	/* NULL: none */
	int64_t		 created_at;	/* ms since the epoch, or */
	int64_t		 started_at;	/* TASK_TIME_NONE */
	int64_t		 finished_at;
	int		 has_exit_code;
	int64_t		 exit_code;
	const char	*error_code;	/* NULL: no error */
	const char	*error_message;
	const char	*result;	/* JSON text of our own; NULL: none */
	int64_t		 rerun_of;	/* the task it reran; 0: none */
	int64_t		 attempt;	/* 1-based, the current or last */
	int64_t		 attempts;	/* 1 + its kind's retries */
	int64_t		 retry_at;	/* or TASK_TIME_NONE */
	const char	*waiting_for;	/* JSON ids; NULL: not waiting */
	int64_t		 slurm_job;	/* its Slurm job; 0: none yet */
	const char	*slurm_state;	/* as squeue said; NULL: unknown */
	const char	*slurm_reason;
	int64_t		 schedule;	/* the schedule that made it; 0 */
};

/*
 * The date of the last time written, so that a page of tasks, which
 * spans a few days, formats each day's date once. One per thread (a
 * store has one); start it as TASKJSON_CLOCK_INIT.
 */
struct taskjson_clock {
	int64_t	 day;		/* the day of midnight, or -1 */
	char	 midnight[32];	/* its start, by hg_iso8601 */
};

#define TASKJSON_CLOCK_INIT	{ -1, "" }

/* Returns t as a new object (caller frees), or NULL without memory: a
 * half-built object is never returned, as it would be stored as an
 * event and sent to clients. */
cJSON	*taskjson_tree(struct taskjson_clock *c, const struct task_row *t);
/* Appends t to b as "{...}". Returns 0, or -1 without memory (b->oom
 * is then set too). */
int	 taskjson_text(struct json_buf *b, struct taskjson_clock *c,
	    const struct task_row *t);

/*
 * The data of a progress event, {"task", "value", "total", "percent",
 * "message"}; total < 0 is unknown, msg NULL none. Returns a malloc'd
 * string (caller frees), or NULL without memory.
 */
char	*taskjson_progress(int64_t task, double value, double total,
	    const char *msg);
/* The data of a log event, {"task", "stream", "line"}, as above. */
char	*taskjson_log(int64_t task, const char *stream, const char *line);
/* Appends the data of a data event, {"task","name","data"}, to b;
 * value is len bytes of JSON text of our own. b->oom says if it failed. */
void	 taskjson_data(struct json_buf *b, int64_t task, const char *name,
	    const char *value, size_t len);
/* Appends an item of GET .../data, {"id","name","data"}, likewise. */
void	 taskjson_item(struct json_buf *b, int64_t id, const char *name,
	    const char *value, size_t len);

#endif
