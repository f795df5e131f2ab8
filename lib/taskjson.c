#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hg.h"
#include "taskjson.h"

/* Percent of value in total, to one decimal, within 0..100. */
static double
percent(double value, double total)
{
	double	 p = value / total * 100.0;

	if (p < 0)
		p = 0;
	if (p > 100)
		p = 100;
	return round(p * 10.0) / 10.0;
}

/*
 * Writes percent(value, total) as "%.1f" does, one decimal always
 * ("28.0"), into buf (16 bytes). It is k / 10 for a whole k from 0 to
 * 1000, so its digits are k's; printf's float formatting cost more than
 * the rest of a task's progress. NaN and -0 are printf's own.
 */
static void
percent_text(double value, double total, char *buf)
{
	double	 p = percent(value, total);
	long	 k;
	int	 n = 0;

	if (isnan(p) || signbit(p)) {
		snprintf(buf, 16, "%.1f", p);
		return;
	}
	k = lround(p * 10.0);
	if (k >= 1000)
		buf[n++] = (char)('0' + k / 1000);
	if (k >= 100)
		buf[n++] = (char)('0' + k / 100 % 10);
	buf[n++] = (char)('0' + k / 10 % 10);
	buf[n++] = '.';
	buf[n++] = (char)('0' + k % 10);
	buf[n] = '\0';
}

/* Where an object is written: into a cJSON tree, or as JSON text. */
struct out {
	cJSON		*tree;		/* the object filled, or NULL */
	struct json_buf	*text;		/* else where the text goes */
	int		 n;		/* members so far, for the commas */
	int		 ok;		/* 0 once an addition failed */
};

/* For text, writes the comma and "name": and returns 1; for a tree, 0. */
static int
out_key(struct out *o, const char *name)
{
	if (o->tree != NULL)
		return 0;
	json_buf_key(o->text, name, o->n++ > 0);
	return 1;
}

static void
put_int(struct out *o, const char *name, int64_t v)
{
	if (!o->ok)
		return;
	if (out_key(o, name))
		json_buf_int(o->text, v);
	else if (json_add_int(o->tree, name, v) == NULL)
		o->ok = 0;
}

static void
put_num(struct out *o, const char *name, double v)
{
	if (!o->ok)
		return;
	if (out_key(o, name))
		json_buf_num(o->text, v);
	else if (cJSON_AddNumberToObject(o->tree, name, v) == NULL)
		o->ok = 0;
}

/* A string, or null if s is NULL. */
static void
put_str(struct out *o, const char *name, const char *s)
{
	if (!o->ok)
		return;
	if (out_key(o, name))
		json_buf_str(o->text, s);
	else if (json_add_str_or_null(o->tree, name, s) == NULL)
		o->ok = 0;
}

/* JSON text of our own, as it is, or null if raw is NULL. */
static void
put_raw(struct out *o, const char *name, const char *raw)
{
	if (!o->ok)
		return;
	if (out_key(o, name)) {
		if (raw == NULL)
			raw = "null";
		json_buf_raw(o->text, raw, strlen(raw));
	} else if ((raw != NULL ? cJSON_AddRawToObject(o->tree, name, raw) :
	    cJSON_AddNullToObject(o->tree, name)) == NULL)
		o->ok = 0;
}

/* Opens object name in o as sub, to be closed with put_close(). */
static void
put_open(struct out *o, const char *name, struct out *sub)
{
	sub->tree = NULL;
	sub->text = o->text;
	sub->n = 0;
	if (!(sub->ok = o->ok))
		return;
	if (out_key(o, name))
		json_buf_raw(o->text, "{", 1);
	else if ((sub->tree = cJSON_AddObjectToObject(o->tree, name)) ==
	    NULL)
		o->ok = sub->ok = 0;
}

static void
put_close(struct out *o, struct out *sub)
{
	if (o->tree == NULL)
		json_buf_raw(o->text, "}", 1);
	o->ok &= sub->ok;
}

/* Puts "value", "total", "percent" and "message" in o. */
static void
put_progress(struct out *o, double value, int has_total, double total,
    const char *msg)
{
	char	 buf[16];

	put_num(o, "value", value);
	if (has_total) {
		put_num(o, "total", total);
		if (total > 0)
			percent_text(value, total, buf);
		put_raw(o, "percent", total > 0 ? buf : NULL);
	} else {
		put_raw(o, "total", NULL);
		put_raw(o, "percent", NULL);
	}
	put_str(o, "message", msg);
}

#define DAY_MS		86400000LL
#define YEAR10000_MS	253402300800000LL

/* Two digits of v (0..99) at p. */
static void
digits2(char *p, int64_t v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/*
 * hg_iso8601(ms) into buf (32 bytes), without a gmtime_r and an
 * snprintf for each time, which were a quarter of the cost of a task
 * object: a page of tasks spans a few days, so each day's date comes
 * from hg_iso8601 once, and the time of day is written digit by digit.
 * Times before 1970 or from the year 10000 on are hg_iso8601's own.
 */
static void
iso8601(struct taskjson_clock *c, int64_t ms, char *buf)
{
	int64_t	 t;

	if (ms < 0 || ms >= YEAR10000_MS) {
		hg_iso8601(ms, buf, 32);
		return;
	}
	if (ms / DAY_MS != c->day) {
		c->day = ms / DAY_MS;
		hg_iso8601(c->day * DAY_MS, c->midnight,
		    sizeof(c->midnight));
	}
	/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
	memcpy(buf, c->midnight, sizeof(c->midnight));
	t = ms % DAY_MS;
	digits2(buf + 11, t / 3600000);
	digits2(buf + 14, t / 60000 % 60);
	digits2(buf + 17, t / 1000 % 60);
	buf[20] = (char)('0' + t % 1000 / 100);
	digits2(buf + 21, t % 100);
}

/* A time, or null if ms is TASK_TIME_NONE. */
static void
put_time(struct out *o, struct taskjson_clock *c, const char *name,
    int64_t ms)
{
	char	 buf[32];

	if (ms == TASK_TIME_NONE) {
		put_raw(o, name, NULL);
		return;
	}
	iso8601(c, ms, buf);
	put_str(o, name, buf);
}

/* Puts task t in o. */
static void
put_task(struct out *o, struct taskjson_clock *c, const struct task_row *t)
{
	struct out	 sub;

	put_int(o, "id", t->id);
	put_str(o, "kind", t->kind);
	put_str(o, "name", t->name);
	put_raw(o, "params", t->params);
	put_str(o, "state", state_name(t->state));
	put_open(o, "progress", &sub);
	put_progress(&sub, t->value, t->has_total, t->total, t->message);
	put_close(o, &sub);
	put_time(o, c, "created_at", t->created_at);
	put_time(o, c, "started_at", t->started_at);
	put_time(o, c, "finished_at", t->finished_at);
	if (t->has_exit_code)
		put_int(o, "exit_code", t->exit_code);
	else
		put_raw(o, "exit_code", NULL);
	if (t->error_code == NULL)
		put_raw(o, "error", NULL);
	else {
		put_open(o, "error", &sub);
		put_str(&sub, "code", t->error_code);
		put_str(&sub, "message", t->error_message);
		put_close(o, &sub);
	}
	put_raw(o, "result", t->result);
	put_int(o, "attempt", t->attempt);
	put_int(o, "attempts", t->attempts);
	put_time(o, c, "retry_at", t->retry_at);
	/* Only a task still waiting for others has it. */
	if (t->waiting_for != NULL)
		put_raw(o, "waiting_for", t->waiting_for);
	/* Only a task that a schedule made has it. */
	if (t->schedule > 0)
		put_int(o, "schedule", t->schedule);
	/* Only a rerun has it, so every other task reads as before. */
	if (t->rerun_of > 0)
		put_int(o, "rerun_of", t->rerun_of);
	/* Only a task of a Slurm kind whose job was submitted has it. */
	if (t->slurm_job > 0) {
		put_open(o, "slurm", &sub);
		put_int(&sub, "job_id", t->slurm_job);
		put_str(&sub, "state", t->slurm_state);
		put_str(&sub, "reason", t->slurm_reason);
		put_close(o, &sub);
	}
}

cJSON *
taskjson_tree(struct taskjson_clock *c, const struct task_row *t)
{
	struct out	 o = { NULL, NULL, 0, 1 };

	if ((o.tree = cJSON_CreateObject()) == NULL)
		return NULL;
	put_task(&o, c, t);
	if (!o.ok) {
		cJSON_Delete(o.tree);
		return NULL;
	}
	return o.tree;
}

int
taskjson_text(struct json_buf *b, struct taskjson_clock *c,
    const struct task_row *t)
{
	struct out	 o = { NULL, b, 0, 1 };

	json_buf_raw(b, "{", 1);
	put_task(&o, c, t);
	json_buf_raw(b, "}", 1);
	return o.ok && !b->oom ? 0 : -1;
}

char *
taskjson_progress(int64_t task, double value, double total, const char *msg)
{
	struct out	 o = { NULL, NULL, 0, 1 };
	char		*data;

	if ((o.tree = cJSON_CreateObject()) == NULL)
		return NULL;
	put_int(&o, "task", task);
	put_progress(&o, value, total >= 0, total, msg);
	data = o.ok ? json_print(o.tree) : NULL;
	cJSON_Delete(o.tree);
	return data;
}

char *
taskjson_log(int64_t task, const char *stream, const char *line)
{
	cJSON	*o;
	char	*data;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	data = json_add_int(o, "task", task) == NULL ||
	    cJSON_AddStringToObject(o, "stream", stream) == NULL ||
	    cJSON_AddStringToObject(o, "line", line) == NULL ?
	    NULL : json_print(o);
	cJSON_Delete(o);
	return data;
}

/* {"<key>":<n>,"name":"<name>","data":<value>} */
static void
data_object(struct json_buf *b, const char *key, int64_t n, const char *name,
    const char *value, size_t len)
{
	json_buf_raw(b, "{", 1);
	json_buf_key(b, key, 0);
	json_buf_int(b, n);
	json_buf_key(b, "name", 1);
	json_buf_str(b, name);
	json_buf_key(b, "data", 1);
	json_buf_raw(b, value, len);
	json_buf_raw(b, "}", 1);
}

void
taskjson_data(struct json_buf *b, int64_t task, const char *name,
    const char *value, size_t len)
{
	data_object(b, "task", task, name, value, len);
}

void
taskjson_item(struct json_buf *b, int64_t id, const char *name,
    const char *value, size_t len)
{
	data_object(b, "id", id, name, value, len);
}
