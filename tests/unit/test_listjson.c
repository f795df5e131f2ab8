/*
 * The list page is JSON text written straight from the rows
 * (store_task_list with the json_buf writer), while a single read, a
 * state event and a created task are cJSON trees that cJSON prints.
 * Clients and tests see both and compare them, so they must agree byte
 * for byte: for rows holding every awkward value a task can have, the
 * list's text is compared with the same tasks read one at a time
 * (store_task_get) and printed by cJSON; and the writer's numbers and
 * strings with cJSON's printing of the same values. "percent" and the
 * times, which the store formats itself for both, are checked against
 * printf and hg_iso8601.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "json.h"
#include "store.h"
#include "unit.h"

#define NTASKS_MAX	HG_LIST_MAX
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static struct store	*st;	/* the store under test */
static sqlite3		*db;	/* the same file, for what the API can't */

/* Opens the store and a second connection on one new file. */
static void
open_both(void)
{
	char	 path[4200], err[512] = "";

	snprintf(path, sizeof(path), "%s/hourglass.db", unit_dir);
	if ((st = store_open(path, 1, err, sizeof(err))) == NULL ||
	    sqlite3_open(path, &db) != SQLITE_OK) {
		unit_fail(__FILE__, __LINE__, err);
		exit(1);
	}
}

static void
close_both(void)
{
	store_close(st);
	sqlite3_close(db);
}

/* A small fixed-seed generator, the same on every machine. */
static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Runs sql on the second connection with ?1 = id and ?2 = v (a double
 * if isreal, else an integer; NAN binds NULL). */
static void
sql_set(const char *sql, int64_t id, int isreal, double v)
{
	sqlite3_stmt	*s;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		unit_fail(__FILE__, __LINE__, sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_bind_int64(s, 1, id);
	if (isnan(v))
		sqlite3_bind_null(s, 2);
	else if (isreal)
		sqlite3_bind_double(s, 2, v);
	else
		sqlite3_bind_int64(s, 2, (int64_t)v);
	CHECK_INT(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
}

/* Creates a task; in a new file, the nth is task n. */
static void
create(const char *kind, const char *name, const char *params)
{
	struct hg_err	 e;
	cJSON		*t = NULL;

	CHECK_INT(store_task_create(st, kind, name, params, &t, &e), 0);
	cJSON_Delete(t);
}

static void
claim(int64_t id)
{
	struct hg_err	 e;
	char		*kind = NULL, *params = NULL;

	CHECK_INT(store_task_claim(st, id, 4242, 1, &kind, &params, NULL, NULL,
	    &e), 0);
	free(kind);
	free(params);
}

/*
 * Tasks in every state, with names, kinds, params, messages, errors,
 * results, progress and times that are hard to print: quotes, backslashes,
 * control characters, UTF-8, NULLs, and numbers that %1.15g prints
 * inexactly, or with an exponent, or not at all.
 */
static void
awkward_tasks(void)
{
	static const char *const names[] = {
		NULL, "", "plain", "quo\"te", "back\\slash", "sl/ash",
		"ctl\x01\x02\x1f\x7f", "\b\f\n\r\t",
		"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 \xe6\x97\xa5",
		"</script>", "\"\\\"\\",
	};
	static const char *const kinds[] = {
		"count", "k\"i\\nd\x01\xc3\xa9",
	};
	static const char *const params[] = {
		"{\"total\":150,\"delay_ms\":50}", "{}",
		"{\"s\":\"\\u00e9\\\"\\\\\",\"n\":[1.5,-0,1e300]}",
	};
	static const char *const msgs[] = {
		NULL, "", "50% done \"ok\"", "tab\there\nnl",
		"\xc3\xbcn\xc3\xaf", "\x1b[0m",
	};
	/* value, total (< 0: unknown) */
	static const double progress[][2] = {
		{ 0, -1 }, { 1, 1 }, { 0.1, 3 }, { 1e-7, 0.3 },
		{ 123456789.123, 1e9 }, { -5, 10 }, { -123.456, -1 },
		{ 1e300, 1e-300 }, { 0.1 + 0.2, 1 }, { 1.0 / 3, 7 },
		{ 9007199254740993.0, 1 }, { 1e15, 1e16 },
		{ 999999999999999, 1 },
		{ 123456789012345.6, -1 }, { -0.0, 5 }, { 5e-324, 1 },
		{ DBL_MAX, DBL_MAX }, { 2147483648.0, 4294967296.0 },
		{ -2147483649.0, 1 }, { 28, 100 }, { 0.05, 100 }, { 1, 3 },
		{ 2, 3 }, { 0.00049999, 1 }, { 1e21, 1e22 }, { 1e-5, 1e-4 },
		{ 0.1, 0.7 }, { 150, 150 }, { 3.14159265358979, 6 },
	};
	struct progress	 p;
	struct outcome	 o;
	struct runner_ref ref;
	struct hg_err	 e;
	cJSON		*t;
	int64_t		 id;
	size_t		 i;

	for (i = 0; i < 2 * nitems(progress); i++) {
		create(kinds[i % nitems(kinds)], names[i % nitems(names)],
		    params[i % nitems(params)]);
		id = (int64_t)i + 1;
		if (i % 9 == 8)
			continue;			/* queued */
		if (i % 9 == 7) {		/* canceled while queued */
			t = NULL;
			CHECK_INT(store_task_stop(st, id, &t, &ref, &e), 0);
			cJSON_Delete(t);
			continue;
		}
		claim(id);
		p.value = progress[i % nitems(progress)][0];
		p.total = progress[i % nitems(progress)][1];
		p.message = msgs[i % nitems(msgs)];
		CHECK_INT(store_task_progress(st, id, &p, &e), 0);
		memset(&o, 0, sizeof(o));
		switch (i % 9) {
		case 0:
			break;				/* running */
		case 1:					/* stopping */
			t = NULL;
			CHECK_INT(store_task_stop(st, id, &t, &ref, &e), 0);
			cJSON_Delete(t);
			break;
		case 2:
			o.state = TASK_SUCCEEDED;
			o.has_exit_code = 1;
			o.result = "{\"rows\":[1,2.5,\"x\\\"y\\u00e9\"],"
			    "\"ok\":true,\"none\":null}";
			break;
		case 3:
			o.state = TASK_FAILED;
			o.has_exit_code = 1;
			o.exit_code = 1;
			o.error_code = "exit_status";
			o.error_message = "exited with \"1\"\n\\";
			o.result = "\"partial \\u2014 3 of 4\"";
			break;
		case 4:
			o.state = TASK_FAILED;
			o.has_exit_code = 1;
			o.exit_code = -9;
			o.error_code = "signal";
			break;
		case 5:
			o.state = TASK_LOST;
			o.error_code = "lost";
			o.error_message = "runner \xe2\x80\x94 gone";
			break;
		case 6:
			o.state = TASK_CANCELED;
			break;
		}
		if (o.state != 0)
			CHECK_INT(store_task_finish(st, id, NULL, &o, &e), 0);
	}
	/* What the API never writes, but a row may hold. */
	sql_set("UPDATE tasks SET total = ?2 WHERE id = ?1", 2, 1, 0);
	sql_set("UPDATE tasks SET total = ?2 WHERE id = ?1", 3, 1, -2);
	sql_set("UPDATE tasks SET value = ?2 WHERE id = ?1", 4, 0, 7);
	sql_set("UPDATE tasks SET value = ?2 WHERE id = ?1", 5, 1, INFINITY);
	sql_set("UPDATE tasks SET total = ?2 WHERE id = ?1", 6, 1, INFINITY);
	sql_set("UPDATE tasks SET created_at = ?2 WHERE id = ?1", 7, 0, 0);
	sql_set("UPDATE tasks SET created_at = ?2 WHERE id = ?1", 8, 0, -1);
	sql_set("UPDATE tasks SET created_at = ?2 WHERE id = ?1", 9, 0,
	    -86400001);
	sql_set("UPDATE tasks SET started_at = ?2 WHERE id = ?1", 10, 0,
	    253402300799999);
	sql_set("UPDATE tasks SET finished_at = ?2 WHERE id = ?1", 11, 0,
	    253402300800000);
	sql_set("UPDATE tasks SET started_at = ?2 WHERE id = ?1", 12, 0,
	    951782400123);	/* 2000-02-29 */
	sql_set("UPDATE tasks SET exit_code = ?2 WHERE id = ?1", 13, 0,
	    -9007199254740992.0);
	sql_set("UPDATE tasks SET exit_code = ?2 WHERE id = ?1", 14, 0,
	    2147483648.0);
	sql_set("UPDATE tasks SET error_code = 'x\"', error_message = ?2 "
	    "WHERE id = ?1", 15, 0, NAN);
	sql_set("UPDATE tasks SET message = ?2 WHERE id = ?1", 16, 1, NAN);
	/* Reruns: of a task still there, of one deleted, of a big id. */
	sql_set("UPDATE tasks SET rerun_of = ?2 WHERE id = ?1", 17, 0, 3);
	sql_set("UPDATE tasks SET rerun_of = ?2 WHERE id = ?1", 18, 0, 1e6);
	sql_set("UPDATE tasks SET rerun_of = ?2 WHERE id = ?1", 20, 0,
	    9007199254740991.0);
	/* Waiting: alone, beside rerun_of, with a big id. */
	sql_set("UPDATE tasks SET waiting_for = '[' || ?2 || ']' WHERE "
	    "id = ?1", 19, 0, 1);
	sql_set("UPDATE tasks SET waiting_for = '[3,' || ?2 || ']' WHERE "
	    "id = ?1", 17, 0, 9007199254740991.0);
	/* Retries: waiting for the next attempt, at times hard to print,
	 * and attempt numbers no kind declares. */
	sql_set("UPDATE tasks SET state = 'retrying', attempt = 2, "
	    "attempts = 3, retry_at = ?2 WHERE id = ?1", 21, 0,
	    1764000000123.0);
	sql_set("UPDATE tasks SET state = 'retrying', retry_at = ?2 "
	    "WHERE id = ?1", 22, 0, 0);
	sql_set("UPDATE tasks SET state = 'retrying', retry_at = ?2 "
	    "WHERE id = ?1", 23, 0, -1);
	sql_set("UPDATE tasks SET retry_at = ?2 WHERE id = ?1", 24, 0,
	    253402300800000.0);
	sql_set("UPDATE tasks SET attempt = ?2, attempts = ?2 WHERE id = ?1",
	    25, 0, 9007199254740991.0);
	sql_set("UPDATE tasks SET attempt = ?2 WHERE id = ?1", 26, 0,
	    -2147483649.0);
}

/* The ids the list should hold, newest first, read here with SQL of
 * our own. Returns how many. */
static int
want_ids(const struct task_filter *f, int64_t *ids)
{
	sqlite3_stmt	*s;
	int		 n = 0;

	CHECK_INT(sqlite3_prepare_v2(db, "SELECT id FROM tasks WHERE (?1 IS "
	    "NULL OR state = ?1) AND (?2 IS NULL OR kind = ?2) AND id < ?3 "
	    "ORDER BY id DESC LIMIT ?4", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, state_name(f->state), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, f->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, f->before > 0 ? f->before : INT64_MAX);
	sqlite3_bind_int(s, 4, f->limit);
	while (n < NTASKS_MAX && sqlite3_step(s) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* Appends the text of task id as store_task_get() and cJSON give it. */
static void
cjson_task(struct json_buf *b, int64_t id)
{
	struct hg_err	 e;
	cJSON		*t = NULL;
	char		*s;

	CHECK_INT(store_task_get(st, id, &t, &e), 0);
	if ((s = json_print(t)) == NULL)
		abort();
	json_buf_raw(b, s, strlen(s));
	free(s);
	cJSON_Delete(t);
}

/* Checks that got is want; if not, shows where they part. */
static void
check_same(const char *got, const char *want)
{
	size_t	 i, from;

	if (got == NULL || want == NULL) {
		unit_fail(__FILE__, __LINE__, "no text");
		return;
	}
	for (i = 0; got[i] != '\0' && got[i] == want[i]; i++)
		;
	if (got[i] == want[i])
		return;
	from = i > 80 ? i - 80 : 0;
	printf("  the texts part at byte %zu:\n    list:  %.160s\n"
	    "    cJSON: %.160s\n", i, got + from, want + from);
	unit_fail(__FILE__, __LINE__, "the list is not what cJSON prints");
}

/*
 * Checks that the list for the filter is, byte for byte, the page that
 * the tasks read one at a time and printed by cJSON make. Returns how
 * many tasks it held.
 */
static int
list_matches_cjson(const char *state, const char *kind, int64_t before,
    int limit)
{
	struct task_filter	 f = { 0, kind, before, limit, 0 };
	struct json_buf		 want = { NULL, 0, 0, 0 };
	struct hg_err		 e;
	int64_t			 ids[NTASKS_MAX], last = -1, event = -2;
	char			*got = NULL;
	size_t			 len = 0;
	int			 n, i;

	if (state != NULL)
		f.state = (enum task_state)state_parse(state);
	CHECK_INT(store_task_list(st, &f, &got, &len, &event, &e), 0);
	CHECK_INT(store_event_last(st, &last), 0);
	CHECK_INT(event, last);
	n = want_ids(&f, ids);
	json_buf_raw(&want, "{\"tasks\":[", 10);
	for (i = 0; i < n; i++) {
		if (i > 0)
			json_buf_raw(&want, ",", 1);
		cjson_task(&want, ids[i]);
	}
	json_buf_raw(&want, "],\"event_id\":", 13);
	json_buf_int(&want, last);
	json_buf_raw(&want, "}", 1);
	CHECK(!want.oom);
	CHECK(got != NULL && strlen(got) == len);
	check_same(got, want.p);
	free(got);
	free(want.p);
	return n;
}

/* The optional fields in the contract's order: waiting_for, then
 * rerun_of. */
static void
waiting_for_comes_before_rerun_of(void)
{
	struct hg_err	 e;
	cJSON		*t = NULL;
	char		*s;

	CHECK_INT(store_task_get(st, 17, &t, &e), 0);
	s = json_print(t);
	CHECK_HAS(s, "\"waiting_for\":[3,9007199254740991],\"rerun_of\":3}");
	free(s);
	cJSON_Delete(t);
}

static void
list_text_is_cjsons_for_awkward_tasks(void)
{
	open_both();
	awkward_tasks();
	/* Every task on one page, then the default page. */
	CHECK_INT(list_matches_cjson(NULL, NULL, 0, HG_LIST_MAX), 58);
	CHECK_INT(list_matches_cjson(NULL, NULL, 0, HG_LIST_DEFAULT), 50);
	waiting_for_comes_before_rerun_of();
	close_both();
}

static void
list_text_is_cjsons_under_each_filter(void)
{
	static const char *const states[] = {
		"queued", "running", "stopping", "retrying", "succeeded",
		"failed", "canceled", "lost",
	};
	size_t	 i;

	open_both();
	awkward_tasks();
	for (i = 0; i < nitems(states); i++)
		CHECK(list_matches_cjson(states[i], NULL, 0, HG_LIST_MAX) > 0);
	CHECK(list_matches_cjson(NULL, "k\"i\\nd\x01\xc3\xa9", 0, 500) > 0);
	CHECK(list_matches_cjson("failed", "count", 0, 500) > 0);
	CHECK_INT(list_matches_cjson(NULL, NULL, 30, 500), 29);
	CHECK_INT(list_matches_cjson(NULL, NULL, 30, 1), 1);
	CHECK_INT(list_matches_cjson("queued", "nope", 0, 500), 0);
	close_both();
}

/* ---- "percent" and the times, which the store formats itself ---- */

#define ROWS	2000

static struct row {
	double	 value, total;
	int64_t	 at[3];		/* created, started, finished */
} rows[ROWS + 1];		/* by id */

/* "percent" as the contract says: value / total, within 0 to 100,
 * to one decimal, printed with one decimal always. */
static void
percent_want(const struct row *r, char *buf, size_t len)
{
	double	 p = r->value / r->total * 100.0;

	p = p < 0 ? 0 : p > 100 ? 100 : p;
	snprintf(buf, len, "%.1f", round(p * 10.0) / 10.0);
}

/*
 * Checks the text after each "name": in text, in order, against want
 * (n of them), up to the next ',' or '}'. Returns how many differ.
 */
static int
members_differ(const char *text, const char *name, char (*want)[40],
    int n)
{
	char		 key[32];
	const char	*p = text;
	size_t		 len;
	int		 i, bad = 0;

	snprintf(key, sizeof(key), "\"%s\":", name);
	for (i = 0; i < n; i++) {
		if ((p = strstr(p, key)) == NULL)
			return bad + n - i;
		p += strlen(key);
		len = strcspn(p, ",}");
		if (len != strlen(want[i]) || memcmp(p, want[i], len) != 0) {
			if (bad++ < 5)
				printf("  %s: %.*s, want %s\n", name,
				    (int)len, p, want[i]);
		}
	}
	return bad;
}

/* Rows of random progress and times, written here with SQL. */
static void
random_rows(void)
{
	sqlite3_stmt	*s;
	uint64_t	 x = 2463534242ULL;
	int		 id, k;

	CHECK_INT(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_prepare_v2(db, "INSERT INTO tasks (id, kind, "
	    "params, state, value, total, created_at, started_at, "
	    "finished_at) VALUES (?1, 'count', '{}', 'succeeded', ?2, ?3, "
	    "?4, ?5, ?6)", -1, &s, NULL), SQLITE_OK);
	for (id = 1; id <= ROWS; id++) {
		/* Counts, fractions, and values past the total. */
		rows[id].total = (double)(xorshift(&x) % 100000 + 1) /
		    (xorshift(&x) % 2 ? 1 : 1000);
		rows[id].value = rows[id].total *
		    (double)(xorshift(&x) % 12000) / 10000.0;
		if (id % 7 == 0)
			rows[id].value = (double)(id % 1001) / 10;
		/* Mostly around now; else any time from 1938 to 11476. */
		for (k = 0; k < 3; k++)
			rows[id].at[k] = id % 3 != 0 ? 1764000000000LL +
			    (int64_t)(xorshift(&x) % (400LL * 86400000)) :
			    (int64_t)(xorshift(&x) % 300000000000000ULL) -
			    1000000000000LL;
		sqlite3_reset(s);
		sqlite3_bind_int(s, 1, id);
		sqlite3_bind_double(s, 2, rows[id].value);
		sqlite3_bind_double(s, 3, rows[id].total);
		for (k = 0; k < 3; k++)
			sqlite3_bind_int64(s, 4 + k, rows[id].at[k]);
		CHECK_INT(sqlite3_step(s), SQLITE_DONE);
	}
	sqlite3_finalize(s);
	CHECK_INT(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
}

static void
list_percent_and_times_are_printfs_and_hg_iso8601s(void)
{
	static const char *const times[] = {
		"created_at", "started_at", "finished_at",
	};
	static char		 want[HG_LIST_MAX][40];
	struct task_filter	 f = { 0, NULL, 0, HG_LIST_MAX, 0 };
	struct hg_err		 e;
	char			*text;
	size_t			 len;
	int64_t			 event;
	int			 before, id, i, k, bad = 0;

	open_both();
	random_rows();
	for (before = ROWS + 1; before > 1; before -= HG_LIST_MAX) {
		f.before = before;
		CHECK_INT(list_matches_cjson(NULL, NULL, before, HG_LIST_MAX),
		    HG_LIST_MAX);
		CHECK_INT(store_task_list(st, &f, &text, &len, &event, &e), 0);
		for (i = 0, id = before - 1; i < HG_LIST_MAX; i++, id--)
			percent_want(&rows[id], want[i], sizeof(want[i]));
		bad += members_differ(text, "percent", want, HG_LIST_MAX);
		for (k = 0; k < 3; k++) {
			for (i = 0, id = before - 1; i < HG_LIST_MAX; i++, id--) {
				want[i][0] = '"';
				hg_iso8601(rows[id].at[k], want[i] + 1,
				    sizeof(want[i]) - 2);
				strcat(want[i], "\"");
			}
			bad += members_differ(text, times[k], want,
			    HG_LIST_MAX);
		}
		free(text);
	}
	CHECK_INT(bad, 0);
	close_both();
}

static void
list_of_empty_store_has_no_tasks_and_event_id_0(void)
{
	struct task_filter	 f = { 0, NULL, 0, HG_LIST_DEFAULT, 0 };
	struct hg_err		 e;
	char			*got = NULL;
	size_t			 len = 0;
	int64_t			 event = -1;

	open_both();
	CHECK_INT(store_task_list(st, &f, &got, &len, &event, &e), 0);
	CHECK_STR(got, "{\"tasks\":[],\"event_id\":0}");
	CHECK_INT(len, strlen("{\"tasks\":[],\"event_id\":0}"));
	CHECK_INT(event, 0);
	free(got);
	close_both();
}

/* ---- the writer against cJSON, value by value ---- */

/*
 * Checks what the writer wrote into b against cJSON's own printing of
 * item; frees both. Returns 0 if they agree.
 */
static int
differs(struct json_buf *b, cJSON *item)
{
	char	*want;
	int	 bad;

	if (item == NULL || (want = cJSON_PrintUnformatted(item)) == NULL)
		abort();
	if ((bad = b->p == NULL || strcmp(b->p, want) != 0))
		printf("  json_buf \"%s\", cJSON \"%s\"\n",
		    b->p != NULL ? b->p : "(null)", want);
	free(want);
	free(b->p);
	cJSON_Delete(item);
	return bad;
}

/*
 * A number's text reads back as d itself (its sign too); a whole number
 * within 2^53 is its digits; and any other is the first of "%.15g",
 * "%.16g" and "%.17g" that reads back exactly (cJSON's printer tried 15
 * digits against a looser check, 9000000000000001 was "9e+15", then
 * went to 17: 1/3 was 0.33333333333333331). Returns 0 if so.
 */
static int
num_wrong(double d)
{
	struct json_buf	 b = { NULL, 0, 0, 0 };
	char		*end, want[400];
	double		 back;
	int		 bad, digits;

	json_buf_num(&b, d);
	if (isnan(d) || isinf(d))
		bad = strcmp(b.p, "null") != 0;
	else {
		back = strtod(b.p, &end);
		bad = *end != '\0' || back != d ||
		    signbit(back) != signbit(d);
		if (d == trunc(d) && fabs(d) <= 9007199254740992.0 &&
		    (d != 0 || !signbit(d))) {
			snprintf(want, sizeof(want), "%.0f", d);
			bad |= strcmp(b.p, want) != 0;
		} else {
			for (digits = 15; digits < 17; digits++) {
				snprintf(want, sizeof(want), "%.*g", digits,
				    d);
				if (strtod(want, NULL) == d)
					break;
			}
			snprintf(want, sizeof(want), "%.*g", digits, d);
			bad |= strcmp(b.p, want) != 0;
		}
	}
	if (bad)
		printf("  %.17g printed \"%s\"\n", d, b.p);
	free(b.p);
	return bad;
}

static int
str_differs(const char *s)
{
	struct json_buf	 b = { NULL, 0, 0, 0 };

	json_buf_str(&b, s);
	return differs(&b, cJSON_CreateString(s));
}

static void
buf_num_prints_each_number_exactly(void)
{
	static const double some[] = {
		0, -0.0, 1, -1, 0.1, 0.2, 0.1 + 0.2, 1e-7, 1e-5, 0.0001,
		123456789.123, 1e15, -1e15, 1e15 - 1, 1e16, 1e17, 1e21, 1e22,
		9007199254740992.0, 9007199254740993.0, 9007199254740991.0,
		-9007199254740991.0, 9000000000000001.0, 4503599627370497.5,
		1234567890123456789.0, 123456789.123456789, 2147483647.0,
		2147483648.0, -2147483648.0, -2147483649.0, DBL_MAX, -DBL_MAX,
		DBL_MIN, 5e-324, 1.0 / 3, 2.0 / 3, 100.0 / 7, 0.5, 28.0,
		33.3, 66.7, 99.95, INFINITY, -INFINITY, NAN,
	};
	uint64_t	 x = 88172645463325252ULL, bits;
	double		 d;
	size_t		 i;
	int		 bad = 0;

	for (i = 0; i < nitems(some); i++)
		bad += num_wrong(some[i]);
	/* Every kind of double, from random bit patterns. */
	for (i = 0; i < 100000 && bad < 10; i++) {
		bits = xorshift(&x);
		memcpy(&d, &bits, sizeof(d));
		bad += num_wrong(d);
	}
	/* Short decimals, as a program reports them, and their sums. */
	for (i = 0; i < 100000 && bad < 10; i++) {
		d = (double)(xorshift(&x) % 100000000) /
		    pow(10, (double)(xorshift(&x) % 12));
		bad += num_wrong(d);
		bad += num_wrong(d + 0.1 * (double)(xorshift(&x) % 10));
		bad += num_wrong(-d / 3);
	}
	CHECK_INT(bad, 0);
}

static void
buf_str_escapes_as_cjson(void)
{
	char	 one[4], all[256 * 3];
	size_t	 i, n = 0;
	int	 bad = 0;

	/* Each byte alone, and between others; then all of them. */
	for (i = 1; i < 256; i++) {
		one[0] = (char)i;
		one[1] = '\0';
		bad += str_differs(one);
		one[0] = 'a';
		one[1] = (char)i;
		one[2] = 'b';
		one[3] = '\0';
		bad += str_differs(one);
		all[n++] = (char)i;
		all[n++] = (char)(256 - i);
	}
	all[n] = '\0';
	bad += str_differs(all);
	bad += str_differs("");
	bad += str_differs("h\xc3\xa9llo \xf0\x9f\x98\x80 \"\\/\b\f\n\r\t");
	CHECK_INT(bad, 0);
}

static void
buf_str_writes_null_for_null(void)
{
	struct json_buf	 b = { NULL, 0, 0, 0 };

	json_buf_str(&b, NULL);
	CHECK_STR(b.p, "null");
	free(b.p);
}

static void
buf_int_prints_the_whole_int64_range(void)
{
	static const int64_t	 v[] = {
		0, 1, -1, 9, 10, -10, 4294967296LL, INT64_MAX, INT64_MIN,
		INT64_MIN + 1, -9007199254740992LL,
	};
	struct json_buf	 b = { NULL, 0, 0, 0 };
	char		 want[32];
	size_t		 i;

	for (i = 0; i < nitems(v); i++) {
		b.len = 0;
		json_buf_int(&b, v[i]);
		snprintf(want, sizeof(want), "%" PRId64, v[i]);
		CHECK_STR(b.p, want);
	}
	free(b.p);
}

static void
buf_grows_past_its_first_allocation(void)
{
	struct json_buf	 b = { NULL, 0, 0, 0 };
	char		 chunk[1000];
	size_t		 i;

	memset(chunk, 'x', sizeof(chunk));
	for (i = 0; i < 100; i++)
		json_buf_raw(&b, chunk, sizeof(chunk));
	CHECK(!b.oom);
	CHECK_INT(b.len, 100000);
	CHECK_INT(strlen(b.p), 100000);
	CHECK(b.cap > b.len);
	free(b.p);
}

static const struct unit_test tests[] = {
	UNIT(list_text_is_cjsons_for_awkward_tasks),
	UNIT(list_text_is_cjsons_under_each_filter),
	UNIT(list_percent_and_times_are_printfs_and_hg_iso8601s),
	UNIT(list_of_empty_store_has_no_tasks_and_event_id_0),
	UNIT(buf_num_prints_each_number_exactly),
	UNIT(buf_str_escapes_as_cjson),
	UNIT(buf_str_writes_null_for_null),
	UNIT(buf_int_prints_the_whole_int64_range),
	UNIT(buf_grows_past_its_first_allocation),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
