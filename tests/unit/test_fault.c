/*
 * Allocation failures, in the way of SQLite's test/ *fault.test: each
 * operation is run again and again with cJSON's Nth allocation failing,
 * N = 1, 2, 3, ..., until a run ends without reaching the failure. Every
 * run must either succeed with the right result or fail cleanly (NULL,
 * with the error the contract names), and must not leak: the ASan build
 * checks leaks when the test's process exits, and the hooks below count
 * cJSON's blocks so that the plain build sees a leak too.
 *
 * Only cJSON's allocations go through the hooks; the library's own
 * malloc, calloc and regcomp do not, and are not failed here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kinds.h"
#include "kinds/kinds_int.h"
#include "unit.h"

#define FAULT_MAX	10000	/* runs before giving up on an end */
#define FAULT_REPORTS	5	/* failing runs described, per test */

static long	fault_at;	/* the call that fails; 0: none */
static long	fault_calls;	/* cJSON allocations since fault_arm() */
static long	fault_live;	/* blocks from fault_malloc not yet freed */
static int	fault_hit;	/* the failure was reached */

static void *
fault_malloc(size_t sz)
{
	void	*p;

	if (++fault_calls == fault_at) {
		fault_hit = 1;
		return NULL;
	}
	if ((p = malloc(sz)) != NULL)
		fault_live++;
	return p;
}

static void
fault_free(void *p)
{
	if (p != NULL)
		fault_live--;
	free(p);
}

/* From now on cJSON's nth allocation fails (n 0: none does). */
static void
fault_arm(long n)
{
	static cJSON_Hooks	 hooks = {
		.malloc_fn = fault_malloc,
		.free_fn = fault_free
	};

	fault_at = n;
	fault_calls = 0;
	fault_live = 0;
	fault_hit = 0;
	cJSON_InitHooks(&hooks);
}

/* No more failures, but blocks are still counted. */
static void
fault_disarm(void)
{
	fault_at = 0;
}

/* cJSON's own malloc and free again. */
static void
fault_restore(void)
{
	fault_at = 0;
	cJSON_InitHooks(NULL);
}

/*
 * What the runs of one test came to. A run that went wrong is described
 * by fault_report(), the first FAULT_REPORTS of them in full.
 */
struct fault_tally {
	long	 runs;
	long	 hits;		/* runs that reached the failure */
	long	 bad;		/* runs that went wrong */
	long	 last_bad;	/* the last of them */
	long	 reports;	/* descriptions printed */
	int	 done;		/* a run ended without reaching it */
};

static void
fault_report(struct fault_tally *t, const char *file, int line, long n,
    const char *what)
{
	char	 msg[1400];

	if (t->last_bad != n) {
		t->bad++;
		t->last_bad = n;
	}
	if (t->reports++ >= FAULT_REPORTS)
		return;
	snprintf(msg, sizeof(msg), "allocation %ld failing: %s", n, what);
	unit_fail(file, line, msg);
}

#define FAULT_BAD(t, n, ...) do {					\
	char	 w_[1200];						\
									\
	snprintf(w_, sizeof(w_), __VA_ARGS__);				\
	fault_report((t), __FILE__, __LINE__, (n), w_);			\
} while (0)

/*
 * Checks what all the runs came to: some run got to the end, some
 * reached the failure on the way (else the test proved nothing), and
 * none went wrong.
 */
#define FAULT_TALLY(t) do {						\
	char	 m_[128];						\
									\
	CHECK((t)->done);						\
	CHECK((t)->hits > 0);						\
	if ((t)->bad > 0) {						\
		snprintf(m_, sizeof(m_), "%ld of %ld runs went wrong",	\
		    (t)->bad, (t)->runs);				\
		unit_fail(__FILE__, __LINE__, m_);			\
	}								\
} while (0)

/*
 * Checks one run's failure: NULL with e set to 503 unavailable. A
 * failure while nothing failed is wrong too.
 */
static void
fault_check_error(struct fault_tally *t, long n, const struct hg_err *e)
{
	if (!fault_hit)
		FAULT_BAD(t, n, "failed with no allocation failing: %d %s "
		    "\"%s\"", e->status, e->code, e->msg);
	else if (e->status != 503 || strcmp(e->code, "unavailable") != 0 ||
	    e->msg[0] == '\0')
		FAULT_BAD(t, n, "got %d %s \"%s\"; want 503 unavailable",
		    e->status, e->code, e->msg);
}

/* Checks one run's result, printed to got (NULL if printing failed). */
static void
fault_check_result(struct fault_tally *t, long n, const char *got,
    const char *want)
{
	if (got == NULL || strcmp(got, want) != 0)
		FAULT_BAD(t, n, "succeeded with %s; want %s",
		    got != NULL ? got : "(nothing printed)", want);
}

/* Checks that the run freed every block that cJSON allocated. */
static void
fault_check_live(struct fault_tally *t, long n)
{
	if (fault_live != 0)
		FAULT_BAD(t, n, "%ld block(s) of cJSON's not freed",
		    fault_live);
}

/* Counts run n into t; returns 1 when the runs are over. */
static int
fault_next(struct fault_tally *t, long n)
{
	t->runs++;
	if (fault_hit)
		t->hits++;
	else
		t->done = 1;
	return t->done || n >= FAULT_MAX;
}

/* ---- json_parse ---- */

/* Nested objects and arrays, strings with escapes and UTF-8. */
#define BODY								\
	"{\"name\": \"nightly \\\"run\\\"\",\n"				\
	" \"params\": {\"total\": 5, \"ratio\": 0.25, \"on\": true,\n"	\
	"  \"tags\": [\"a\", \"h\xc3\xa9\", [1, 2, [null, false]]],\n"	\
	"  \"deep\": {\"x\": {\"y\": {\"z\": \"\\u0041b\\n\"}}}},\n"	\
	" \"list\": [{\"k\": 1}, {\"k\": 2}, {}], \"empty\": []}\n"

#define BODY_PRINTED							\
	"{\"name\":\"nightly \\\"run\\\"\",\"params\":{\"total\":5,"	\
	"\"ratio\":0.25,\"on\":true,\"tags\":[\"a\",\"h\xc3\xa9\","	\
	"[1,2,[null,false]]],\"deep\":{\"x\":{\"y\":{\"z\":\"Ab\\n\"}}}}," \
	"\"list\":[{\"k\":1},{\"k\":2},{}],\"empty\":[]}"

static void
fault_json_parse_fails_cleanly_or_succeeds(void)
{
	struct fault_tally	 t;
	struct hg_err		 e;
	cJSON			*doc;
	char			*s;
	long			 n;

	memset(&t, 0, sizeof(t));
	for (n = 1; ; n++) {
		memset(&e, 0, sizeof(e));
		fault_arm(n);
		doc = json_parse(BODY, strlen(BODY), &e);
		fault_disarm();
		if (doc == NULL)
			fault_check_error(&t, n, &e);
		else {
			s = json_print(doc);
			fault_check_result(&t, n, s, BODY_PRINTED);
			free(s);
		}
		cJSON_Delete(doc);
		fault_check_live(&t, n);
		fault_restore();
		if (fault_next(&t, n))
			break;
	}
	FAULT_TALLY(&t);
}

/* ---- kinds ---- */

/* One parameter of each type and rule; file is required. */
#define KINDS_FILE							\
	"{\"kinds\": [{\"name\": \"job\", \"builtin\": \"count\",\n"	\
	" \"description\": \"one of each\",\n"				\
	" \"params\": {\n"						\
	"  \"total\": {\"type\": \"integer\", \"min\": 1, \"max\": 1000, " \
	"\"default\": 10},\n"						\
	"  \"delay_ms\": {\"type\": \"integer\", \"min\": 0, "		\
	"\"default\": 0},\n"						\
	"  \"ratio\": {\"type\": \"number\", \"min\": 0, \"max\": 1, "	\
	"\"default\": 0.5},\n"						\
	"  \"file\": {\"type\": \"string\", \"pattern\": \"^[a-z]+$\", " \
	"\"max_length\": 8, \"description\": \"a name\"},\n"		\
	"  \"color\": {\"type\": \"string\", \"enum\": [\"red\", "	\
	"\"green\"], \"default\": \"red\"},\n"				\
	"  \"loud\": {\"type\": \"boolean\", \"default\": false}}}]}\n"

/* What the client sends, and what the check must make of it. */
#define CLIENT_PARAMS							\
	"{\"file\": \"abc\", \"total\": 7, \"color\": \"green\"}"
#define CHECKED_PARAMS							\
	"{\"total\":7,\"delay_ms\":0,\"ratio\":0.5,\"file\":\"abc\","	\
	"\"color\":\"green\",\"loud\":false}"

static char	 kpath[4200];	/* the kinds file of this test */

static const char *
write_kinds(void)
{
	FILE	*f;

	snprintf(kpath, sizeof(kpath), "%s/kinds.json", unit_dir);
	if ((f = fopen(kpath, "w")) == NULL) {
		perror(kpath);
		exit(1);
	}
	fputs(KINDS_FILE, f);
	fclose(f);
	return kpath;
}

/* Loads the kinds file with cJSON's hooks as they are, or ends the test. */
static struct kinds *
load_kinds(void)
{
	struct kinds	*ks;
	char		 err[1024] = "";

	if ((ks = kinds_load(write_kinds(), err, sizeof(err))) == NULL) {
		unit_fail(__FILE__, __LINE__, err);
		exit(1);
	}
	return ks;
}

static void
fault_params_check_fails_cleanly_or_succeeds(void)
{
	struct fault_tally	 t;
	struct kinds		*ks = load_kinds();
	const struct kind	*k = kinds_find(ks, "job");
	struct hg_err		 e;
	cJSON			*in, *out;
	char			*s;
	long			 n;

	in = json_parse(CLIENT_PARAMS, strlen(CLIENT_PARAMS), &e);
	CHECK(k != NULL && in != NULL);
	if (k == NULL || in == NULL)
		goto out;
	memset(&t, 0, sizeof(t));
	for (n = 1; ; n++) {
		memset(&e, 0, sizeof(e));
		fault_arm(n);
		out = kinds_params_check(k, in, &e);
		fault_disarm();
		if (out == NULL)
			fault_check_error(&t, n, &e);
		else {
			s = json_print(out);
			fault_check_result(&t, n, s, CHECKED_PARAMS);
			free(s);
		}
		cJSON_Delete(out);
		fault_check_live(&t, n);
		fault_restore();
		if (fault_next(&t, n))
			break;
	}
	FAULT_TALLY(&t);
out:
	cJSON_Delete(in);
	kinds_free(ks);
}

/*
 * Checks a kinds_load result against one loaded with no failure: the
 * same kind and parameters, and the same GET /api/kinds body. Returns
 * NULL if it matches, else what differs (static).
 */
static const char *
kinds_differ(const struct kinds *ks, const struct kinds *want)
{
	static char	 buf[1100];
	const struct kind *a, *b;
	size_t		 i;

	if (ks->n != want->n)
		return "a different number of kinds";
	a = &ks->v[0];
	b = &want->v[0];
	if (strcmp(a->name, b->name) != 0 || a->nparams != b->nparams ||
	    a->builtin != b->builtin ||
	    strcmp(a->description, b->description) != 0)
		return "a different kind";
	for (i = 0; i < a->nparams; i++)
		if (strcmp(a->params[i].name, b->params[i].name) != 0 ||
		    a->params[i].type != b->params[i].type ||
		    (a->params[i].def == NULL) != (b->params[i].def == NULL))
			return "different parameters";
	if (ks->public_json == NULL || strcmp(ks->public_json,
	    want->public_json) != 0 || ks->public_len != want->public_len) {
		snprintf(buf, sizeof(buf), "public_json %.1000s",
		    ks->public_json != NULL ? ks->public_json : "(null)");
		return buf;
	}
	return NULL;
}

static void
fault_kinds_load_fails_cleanly_or_succeeds(void)
{
	struct fault_tally	 t;
	struct kinds		*want = load_kinds(), *ks;
	const char		*diff;
	char			 err[1024];
	long			 n;

	/* The reference itself, so that a wrong one cannot pass. */
	CHECK_HAS(want->public_json, "\"name\":\"job\"");
	CHECK_HAS(want->public_json, "\"description\":\"one of each\"");
	CHECK_HAS(want->public_json, "\"enum\":[\"red\",\"green\"]");
	CHECK_HAS(want->public_json, "\"loud\":{\"type\":\"boolean\","
	    "\"default\":false}");
	memset(&t, 0, sizeof(t));
	for (n = 1; ; n++) {
		err[0] = '\0';
		fault_arm(n);
		ks = kinds_load(kpath, err, sizeof(err));
		fault_disarm();
		if (ks == NULL && !fault_hit)
			FAULT_BAD(&t, n, "failed with no allocation failing: "
			    "%s", err);
		else if (ks == NULL && err[0] == '\0')
			FAULT_BAD(&t, n, "failed with an empty err");
		else if (ks != NULL && (diff = kinds_differ(ks, want)) !=
		    NULL)
			FAULT_BAD(&t, n, "succeeded with %s", diff);
		/*
		 * No fault_check_live() here: kinds_free() frees public_json
		 * with free(), as it may (cJSON's default), so the count is
		 * off by that block; ASan checks this test's leaks.
		 */
		kinds_free(ks);
		fault_restore();
		if (fault_next(&t, n))
			break;
	}
	FAULT_TALLY(&t);
	kinds_free(want);
}

/* The hooks themselves: the Nth allocation fails, and only that one. */
static void
fault_hooks_fail_only_the_nth_allocation(void)
{
	cJSON	*a, *b, *c;

	fault_arm(2);
	a = cJSON_CreateObject();
	b = cJSON_CreateObject();
	c = cJSON_CreateObject();
	CHECK(a != NULL);
	CHECK(b == NULL);
	CHECK(c != NULL);
	CHECK(fault_hit);
	CHECK_INT(fault_calls, 3);
	CHECK_INT(fault_live, 2);
	cJSON_Delete(a);
	cJSON_Delete(c);
	CHECK_INT(fault_live, 0);
	fault_restore();
}

static const struct unit_test tests[] = {
	UNIT(fault_hooks_fail_only_the_nth_allocation),
	UNIT(fault_json_parse_fails_cleanly_or_succeeds),
	UNIT(fault_params_check_fails_cleanly_or_succeeds),
	UNIT(fault_kinds_load_fails_cleanly_or_succeeds),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
