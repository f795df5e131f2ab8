/*
 * lib/store/hooks.c: a webhook delivery is written with each final
 * state while deliveries are on (dependents canceled down the chain and
 * tasks born canceled too), none while off; attempts are recorded and
 * counted; the list filters and orders; retention prunes only what is
 * done. Helpers: store_test.h.
 */
#include "store_test.h"

/* The due deliveries now, into v (at most 8); returns how many. */
static int
due(struct store *st, struct hook_due *v)
{
	struct hg_err	 e;

	return store_hook_due(st, hg_now_ms(), v, 8, &e);
}

static void
enable(struct store *st, int on)
{
	struct hg_err	 e;

	CHECK_INT(store_hook_enable(st, on, &e), 0);
}

/* The list as parsed JSON (caller frees). */
static cJSON *
list(struct store *st, enum hook_state state)
{
	struct hg_err	 e;
	char		*out = NULL;
	size_t		 len;
	cJSON		*doc;

	CHECK_INT(store_hook_list(st, state, 500, &out, &len, &e), 0);
	doc = parse(out);
	free(out);
	return cJSON_GetObjectItemCaseSensitive(doc, "deliveries") != NULL ?
	    doc : NULL;
}

static int
list_len(struct store *st, enum hook_state state)
{
	cJSON	*doc = list(st, state);
	int	 n = cJSON_GetArraySize(field(doc, "deliveries"));

	cJSON_Delete(doc);
	return n;
}

static void
off_writes_none(void)
{
	struct store	*st = open_db();
	struct hook_due	 v[8];
	int64_t		 id = create(st, "count", NULL);

	claim(st, id, 11);
	CHECK_INT(finish(st, id, "succeeded"), 0);
	CHECK_INT(due(st, v), 0);
	CHECK_INT(list_len(st, 0), 0);
	store_close(st);
}

static void
each_final_state_has_one_with_its_task(void)
{
	struct store		*st = open_db();
	struct create_opts	 o = { .idem_key = NULL };
	struct hook_due		 v[8];
	cJSON			*p, *t;
	int64_t			 a, b, c;
	int			 n, i;

	enable(st, 1);
	a = create(st, "count", NULL);
	o.after = &a;
	o.nafter = 1;
	b = create_with(st, "count", NULL, &o);
	claim(st, a, 12);
	CHECK_INT(finish(st, a, "failed"), 0);	/* b: dependency_failed */
	c = create_with(st, "count", NULL, &o);	/* born canceled */
	CHECK_INT(n = due(st, v), 3);
	for (i = 0; i < n; i++) {
		CHECK_INT(strlen(v[i].id), HOOK_ID_LEN);
		CHECK_INT(v[i].attempts, 0);
		p = parse(v[i].payload);
		CHECK_STR(str_of(p, "type"), "task.finished");
		CHECK_STR(str_of(p, "id"), v[i].id);
		t = get(st, int_of(field(p, "task"), "id"));
		CHECK(cJSON_Compare(field(p, "task"), t, 1));
		CHECK_INT(int_of(field(p, "task"), "id"), i == 0 ? a : i == 1 ?
		    b : c);
		cJSON_Delete(t);
		cJSON_Delete(p);
	}
	CHECK(strcmp(v[0].id, v[1].id) != 0);
	store_hook_due_free(v, n);
	store_close(st);
}

/* The counter webhook{outcome}, as /api/metrics reads it. */
static void
count_cb(void *arg, const char *name, const char *kind, const char *state,
    int64_t value)
{
	int64_t	*c = arg;

	(void)kind;
	if (strcmp(name, "webhook") != 0)
		return;
	c[strcmp(state, "delivered") == 0 ? 0 : strcmp(state, "retried") ==
	    0 ? 1 : 2] = value;
}

static void
attempts_are_recorded_and_counted(void)
{
	struct store	*st = open_db();
	struct hook_due	 v[8];
	struct hook_try	 retry = { HOOK_PENDING, 503, "HTTP 503", 0 };
	struct hook_try	 done = { HOOK_DELIVERED, 200, NULL, 0 };
	struct hg_err	 e;
	int64_t		 id, at, c[3] = { 0, 0, 0 };
	cJSON		*doc, *d;

	enable(st, 1);
	id = create(st, "count", NULL);
	claim(st, id, 13);
	CHECK_INT(finish(st, id, "succeeded"), 0);
	CHECK_INT(due(st, v), 1);
	retry.next_at = hg_now_ms() + 60000;
	CHECK_INT(store_hook_tried(st, v[0].id, &retry, &e), 0);
	CHECK_INT(due(st, v + 1), 0);		/* not due for a minute */
	CHECK_INT(store_hook_next(st, &at, &e), 0);
	CHECK_INT(at, retry.next_at);
	doc = list(st, HOOK_PENDING);
	d = cJSON_GetArrayItem(field(doc, "deliveries"), 0);
	CHECK_INT(int_of(d, "task"), id);
	CHECK_INT(int_of(d, "attempts"), 1);
	CHECK_INT(int_of(d, "last_status"), 503);
	CHECK_STR(str_of(d, "last_error"), "HTTP 503");
	CHECK(str_of(d, "next_attempt_at") != NULL);
	cJSON_Delete(doc);
	CHECK_INT(store_hook_tried(st, v[0].id, &done, &e), 0);
	/* No longer pending: a late second answer changes nothing. */
	CHECK_INT(store_hook_tried(st, v[0].id, &done, &e), 0);
	CHECK_INT(list_len(st, HOOK_PENDING), 0);
	doc = list(st, HOOK_DELIVERED);
	d = cJSON_GetArrayItem(field(doc, "deliveries"), 0);
	CHECK_INT(int_of(d, "attempts"), 2);
	CHECK(is_null(d, "next_attempt_at") && is_null(d, "last_error"));
	cJSON_Delete(doc);
	CHECK_INT(store_hook_next(st, &at, &e), 0);
	CHECK_INT(at, 0);
	CHECK_INT(store_metrics(st, count_cb, c, &e), 0);
	CHECK_INT(c[0], 1);
	CHECK_INT(c[1], 1);
	CHECK_INT(c[2], 0);
	store_hook_due_free(v, 1);
	store_close(st);
}

static void
prune_takes_only_what_is_done(void)
{
	struct store	*st = open_db();
	struct hook_due	 v[8];
	struct hook_try	 fail = { HOOK_FAILED, 0, "refused", 0 };
	struct hg_err	 e;
	int64_t		 a, b;

	enable(st, 1);
	a = create(st, "count", NULL);
	b = create(st, "count", NULL);
	claim(st, a, 14);
	claim(st, b, 15);
	CHECK_INT(finish(st, a, "succeeded"), 0);
	CHECK_INT(finish(st, b, "succeeded"), 0);
	CHECK_INT(due(st, v), 2);
	CHECK_INT(store_hook_tried(st, v[0].id, &fail, &e), 0);
	CHECK_INT(store_hook_prune(st, hg_now_ms() - 1000, 200), 0);
	CHECK_INT(store_hook_prune(st, hg_now_ms() + 1000, 200), 1);
	CHECK_INT(list_len(st, 0), 1);
	CHECK_INT(list_len(st, HOOK_PENDING), 1);
	store_hook_due_free(v, 2);
	store_close(st);
}

static const struct unit_test tests[] = {
	UNIT(off_writes_none),
	UNIT(each_final_state_has_one_with_its_task),
	UNIT(attempts_are_recorded_and_counted),
	UNIT(prune_takes_only_what_is_done),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
