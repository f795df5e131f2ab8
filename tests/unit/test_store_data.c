/*
 * lib/store/data.c: log lines, data items and results written together,
 * the cap, and the pages of GET .../data. Helpers: store_test.h.
 */
#include "store_test.h"

/* A data item of name with JSON value v. */
static struct logline
item(const char *name, const char *v)
{
	struct logline	 l = { "stdout", v, name, strlen(v) };

	return l;
}

static struct logline
logline(const char *line)
{
	struct logline	 l = { "stdout", line, NULL, 0 };

	return l;
}

/* Writes v[0..n) and result for task id with cap bytes; returns
 * data_full, or -1 if the write failed. */
static int
output(struct store *st, int64_t id, const struct logline *v, size_t n,
    const char *result, long long cap)
{
	struct task_output	 o = { .v = v, .n = n, .result = result,
	    .data_max = cap };
	struct hg_err		 e;

	if (store_task_output(st, id, &o, &e) == -1)
		return -1;
	return o.data_full;
}

/* The page as parsed JSON (caller frees), or NULL with *status set. */
static cJSON *
page(struct store *st, int64_t id, int64_t after, const char *name,
    int limit, int *status)
{
	struct hg_err	 e;
	char		*text;
	size_t		 len;
	cJSON		*d;

	*status = 200;
	if (store_task_data(st, id, after, name, limit, &text, &len, &e) ==
	    -1) {
		*status = e.status;
		return NULL;
	}
	CHECK_INT(strlen(text), len);
	d = parse(text);
	free(text);
	return d;
}

/* "id:name:value,..." of a page's items, in a static buffer. */
static const char *
items_of(const cJSON *d)
{
	static char	 buf[1024];
	const cJSON	*it;
	char		*v;
	size_t		 off = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(it, field(d, "items")) {
		v = json_print(field(it, "data"));
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "%s%jd:%s:%s", off > 0 ? "," : "",
		    (intmax_t)int_of(it, "id"), str_of(it, "name"), v);
		free(v);
	}
	return buf;
}

/* Checks that task id has count items, and that the first page of
 * them is items (as items_of writes it). */
#define PAGE_IS(st, id, cnt, items) do {				\
	int	 status_;						\
	cJSON	*d_ = page((st), (id), 0, NULL, 100, &status_);		\
									\
	CHECK_INT(int_of(d_, "count"), (cnt));				\
	CHECK_STR(items_of(d_), (items));				\
	cJSON_Delete(d_);						\
} while (0)

/* Items and log lines of one batch are events in the order they came,
 * and a data event's data is {"task","name","data"} exactly. */
static void
batch_keeps_the_order_of_lines_and_items(void)
{
	struct store	*st = open_db();
	struct logline	 v[4];
	struct evs	 l;
	int64_t		 id = create(st, "count", NULL), before;

	claim(st, id, 100);
	v[0] = logline("first");
	v[1] = item("row", "{\"a\":[1,2]}");
	v[2] = logline("second");
	v[3] = item("data", "\"s\"");
	before = event_last(st);
	CHECK_INT(output(st, id, v, 4, NULL, 1 << 20), 0);
	CHECK_INT(evs_read(st, before, id, &l), 4);
	CHECK_STR(l.v[0].type, "log");
	CHECK_STR(l.v[1].type, "data");
	CHECK_STR(l.v[1].data,
	    "{\"task\":1,\"name\":\"row\",\"data\":{\"a\":[1,2]}}");
	CHECK_STR(l.v[2].type, "log");
	CHECK(strstr(l.v[2].data, "second") != NULL);
	CHECK_STR(l.v[3].data, "{\"task\":1,\"name\":\"data\",\"data\":\"s\"}");
	evs_free(&l);
	store_close(st);
}

/* 10,000 items in one call: one transaction, every one kept. */
static void
ten_thousand_items_in_one_batch(void)
{
	struct store	*st = open_db();
	struct logline	*v;
	char		(*vals)[16];
	cJSON		*d;
	int64_t		 id = create(st, "count", NULL);
	int		 i, status;

	claim(st, id, 100);
	v = calloc(10000, sizeof(*v));
	vals = calloc(10000, sizeof(*vals));
	for (i = 0; i < 10000; i++) {
		snprintf(vals[i], sizeof(vals[i]), "%d", i);
		v[i] = item("n", vals[i]);
	}
	CHECK_INT(output(st, id, v, 10000, NULL, 1 << 20), 0);
	d = page(st, id, 0, NULL, 1000, &status);
	CHECK_INT(int_of(d, "count"), 10000);
	CHECK_INT(cJSON_GetArraySize(field(d, "items")), 1000);
	cJSON_Delete(d);
	free(v);
	free(vals);
	store_close(st);
}

/* Past the cap items are dropped, data_full is told once, and bytes
 * count the values serialized. */
static void
cap_drops_items_and_tells_once(void)
{
	struct store	*st = open_db();
	struct logline	 v[3];
	int64_t		 id = create(st, "count", NULL);

	claim(st, id, 100);
	v[0] = item("a", "\"0123456\"");	/* 9 bytes */
	v[1] = item("a", "\"0123456\"");	/* 18: at the cap */
	v[2] = item("a", "1");			/* 19: past it */
	CHECK_INT(output(st, id, v, 2, NULL, 18), 0);
	CHECK_INT(output(st, id, v + 2, 1, NULL, 18), 1);
	/* Full: later items, even small, go without a word. */
	CHECK_INT(output(st, id, v + 2, 1, NULL, 1000), 0);
	PAGE_IS(st, id, 2, "3:a:\"0123456\",4:a:\"0123456\"");
	store_close(st);
}

/* The result: last wins, a state event shows it, none for the same
 * one again; a finish may bring it too. */
static void
result_last_wins_and_finish_brings_one(void)
{
	struct store	*st = open_db();
	struct outcome	 o = { TASK_SUCCEEDED, 1, 0, NULL, NULL, 0, NULL,
	    NULL, NULL, NULL, NULL };
	struct hg_err	 e;
	struct evs	 l;
	cJSON		*t;
	int64_t		 id = create(st, "count", NULL), before;
	char		*s;

	claim(st, id, 100);
	t = get(st, id);
	CHECK(is_null(t, "result"));
	cJSON_Delete(t);
	before = event_last(st);
	CHECK_INT(output(st, id, NULL, 0, "{\"n\":1}", 100), 0);
	CHECK_INT(output(st, id, NULL, 0, "{\"n\":2}", 100), 0);
	CHECK_INT(output(st, id, NULL, 0, "{\"n\":2}", 100), 0);
	CHECK_INT(evs_read(st, before, id, &l), 2);
	CHECK_STR(l.v[1].type, "state");
	CHECK(strstr(l.v[1].data, "\"result\":{\"n\":2}") != NULL);
	evs_free(&l);
	t = get(st, id);
	s = json_print(field(t, "result"));
	CHECK_STR(s, "{\"n\":2}");
	free(s);
	cJSON_Delete(t);
	o.result = "[\"done\"]";
	CHECK_INT(store_task_finish(st, id, NULL, &o, &e), 0);
	t = get(st, id);
	s = json_print(field(t, "result"));
	CHECK_STR(s, "[\"done\"]");
	free(s);
	cJSON_Delete(t);
	store_close(st);
}

/* A finish without a result keeps the one there. */
static void
finish_without_result_keeps_it(void)
{
	struct store	*st = open_db();
	cJSON		*t;
	int64_t		 id = create(st, "count", NULL);
	char		*s;

	claim(st, id, 100);
	CHECK_INT(output(st, id, NULL, 0, "7", 100), 0);
	CHECK_INT(finish(st, id, "failed"), 0);
	t = get(st, id);
	s = json_print(field(t, "result"));
	CHECK_STR(s, "7");
	free(s);
	cJSON_Delete(t);
	store_close(st);
}

/* Items and results come only from a running task; log lines from an
 * active one, as before. */
static void
items_only_while_running(void)
{
	struct store	*st = open_db();
	struct logline	 v[2];
	cJSON		*t;
	int64_t		 id = create(st, "count", NULL);

	v[0] = item("a", "1");
	v[1] = logline("queued line");
	CHECK_INT(output(st, id, v, 2, "1", 100), 0);
	PAGE_IS(st, id, 0, "");
	t = get(st, id);
	CHECK(is_null(t, "result"));
	cJSON_Delete(t);
	claim(st, id, 100);
	CHECK_INT(finish(st, id, "succeeded"), 0);
	CHECK_INT(output(st, id, v, 1, "2", 100), 0);
	PAGE_IS(st, id, 0, "");
	store_close(st);
}

/* Pages: after, limit, next null at the end, the name filter, count of
 * every item whatever the filter, 404 for no task. */
static void
pages_and_filter(void)
{
	struct store	*st = open_db();
	struct logline	 v[5];
	cJSON		*d;
	int64_t		 id = create(st, "count", NULL);
	int		 status;

	claim(st, id, 100);
	v[0] = item("a", "1");
	v[1] = item("b", "2");
	v[2] = item("a", "3");
	v[3] = item("a", "4");
	v[4] = item("b", "5");
	CHECK_INT(output(st, id, v, 5, NULL, 100), 0);
	/* Events 1, 2 are the create and the claim. */
	d = page(st, id, 0, NULL, 2, &status);
	CHECK_STR(items_of(d), "3:a:1,4:b:2");
	CHECK_INT(int_of(d, "next"), 4);
	CHECK_INT(int_of(d, "count"), 5);
	cJSON_Delete(d);
	d = page(st, id, 4, NULL, 2, &status);
	CHECK_STR(items_of(d), "5:a:3,6:a:4");
	CHECK_INT(int_of(d, "next"), 6);
	cJSON_Delete(d);
	d = page(st, id, 6, NULL, 2, &status);
	CHECK_STR(items_of(d), "7:b:5");
	CHECK(is_null(d, "next"));
	cJSON_Delete(d);
	d = page(st, id, 0, "a", 100, &status);
	CHECK_STR(items_of(d), "3:a:1,5:a:3,6:a:4");
	CHECK(is_null(d, "next"));
	CHECK_INT(int_of(d, "count"), 5);
	cJSON_Delete(d);
	d = page(st, id, 0, "zz", 100, &status);
	CHECK_STR(items_of(d), "");
	cJSON_Delete(d);
	CHECK(page(st, 99, 0, NULL, 100, &status) == NULL);
	CHECK_INT(status, 404);
	store_close(st);
}

/* Thinning deletes progress events only: data events stay. */
static void
thinning_keeps_data_events(void)
{
	struct store	*st = open_db();
	struct progress	 p = { 1, 10, NULL };
	struct logline	 v[1];
	struct hg_err	 e;
	cJSON		*d;
	int64_t		 id = create(st, "count", NULL), upto;
	int		 i, status;

	claim(st, id, 100);
	v[0] = item("a", "1");
	for (i = 0; i < 3; i++) {
		CHECK_INT(store_task_progress(st, id, &p, &e), 0);
		CHECK_INT(output(st, id, v, 1, NULL, 100), 0);
	}
	CHECK_INT(finish(st, id, "succeeded"), 0);
	CHECK_INT(store_thin(st, hg_now_ms() + 1000, 16, &upto, &e), 1);
	d = page(st, id, 0, NULL, 100, &status);
	CHECK_INT(int_of(d, "count"), 3);
	CHECK_INT(cJSON_GetArraySize(field(d, "items")), 3);
	cJSON_Delete(d);
	store_close(st);
}

static const struct unit_test tests[] = {
	UNIT(batch_keeps_the_order_of_lines_and_items),
	UNIT(ten_thousand_items_in_one_batch),
	UNIT(cap_drops_items_and_tells_once),
	UNIT(result_last_wins_and_finish_brings_one),
	UNIT(finish_without_result_keeps_it),
	UNIT(items_only_while_running),
	UNIT(pages_and_filter),
	UNIT(thinning_keeps_data_events),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
