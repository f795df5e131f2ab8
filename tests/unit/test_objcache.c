/*
 * Tasks' objects kept for list pages (objcache.h): first the cache's own
 * rules, then list pages read through a store that keeps them, checked
 * byte for byte against a store that keeps none, on one real SQLite
 * file, while tasks change under them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "objcache.h"
#include "store_test.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* Keeps text (len bytes) for task id at snap. */
static void
put_text(struct objcache *c, int64_t id, int64_t snap, const char *text,
    size_t len)
{
	size_t	 at = 0;

	objcache_put(c, &id, 1, snap, text, &at, &len);
}

/* Keeps "{<id>}" for task id at snap. */
static void
put(struct objcache *c, int64_t id, int64_t snap)
{
	char	 text[32];

	snprintf(text, sizeof(text), "{%lld}", (long long)id);
	put_text(c, id, snap, text, strlen(text));
}

/* Which of the ids the cache gives for a page at snap, as "1,3" (a
 * static buffer), each checked to be the text put() kept. */
static const char *
found(struct objcache *c, const int64_t *ids, size_t n, int64_t snap)
{
	static char	 out[256];
	struct objcache_text *got[16];
	const char	*text;
	size_t		 i, k, len, o = 0;
	char		 want[32];

	out[0] = '\0';
	k = objcache_take(c, ids, n, snap, got);
	for (i = 0; i < n; i++) {
		if (got[i] == NULL)
			continue;
		k--;
		text = objcache_text(got[i], &len);
		snprintf(want, sizeof(want), "{%lld}", (long long)ids[i]);
		CHECK(len == strlen(want) && memcmp(text, want, len) == 0);
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%lld",
		    o > 0 ? "," : "", (long long)ids[i]);
		objcache_release(got[i]);
	}
	CHECK_INT(k, 0);
	return out;
}

static void
an_object_is_kept_only_from_the_snapshot_the_cache_has_seen(void)
{
	struct objcache	*c = objcache_new();
	const int64_t	 ids[] = { 1, 2 };

	put(c, 1, 0);
	objcache_saw(c, NULL, 0, 0);		/* nothing new: kept */
	objcache_saw(c, ids, 0, 5);
	CHECK_INT(objcache_seen(c), 5);
	/* Read at 3, events 4 and 5 may be of task 2: not kept. */
	put(c, 2, 3);
	CHECK_STR(found(c, ids, 2, 5), "1");
	put(c, 2, 5);
	CHECK_STR(found(c, ids, 2, 5), "1,2");
	/* A page of an older snapshot must not show what came after. */
	CHECK_STR(found(c, ids, 2, 4), "1");
	/* Nor can one newer than seen: its events are not dropped yet. */
	CHECK_STR(found(c, ids, 2, 6), "");
	objcache_free(c);
}

static void
events_drop_their_tasks_objects(void)
{
	struct objcache	*c = objcache_new();
	const int64_t	 ids[] = { 1, 2, 3 }, two[] = { 2, 2 }, one[] = { 1 },
	    zero[] = { 0 };

	put(c, 1, 0);
	put(c, 2, 0);
	put(c, 3, 0);
	objcache_saw(c, two, nitems(two), 7);
	CHECK_STR(found(c, ids, 3, 7), "1,3");
	/* Events up to 7 were told already: another reader that read
	 * fewer of them changes nothing. */
	objcache_saw(c, one, 1, 6);
	CHECK_STR(found(c, ids, 3, 7), "1,3");
	/* Too many to name: all go. */
	objcache_saw(c, NULL, 0, 900);
	CHECK_STR(found(c, ids, 3, 900), "");
	CHECK_INT(objcache_seen(c), 900);
	/* No task is 0, the id of an empty slot. */
	objcache_saw(c, zero, 1, 901);
	CHECK(objcache_empty(c));
	objcache_free(c);
}

static void
a_slot_holds_one_task(void)
{
	struct objcache	*c = objcache_new();
	const int64_t	 pair[] = { 1, 1 + HG_OBJCACHE_SLOTS };

	put(c, 1, 0);
	put(c, 1 + HG_OBJCACHE_SLOTS, 0);
	CHECK_STR(found(c, pair, 2, 0), "1025");
	objcache_free(c);
}

static void
the_bytes_kept_are_bounded(void)
{
	struct objcache	*c = objcache_new();
	static char	 big[HG_OBJCACHE_OBJ_MAX + 1];
	const int64_t	 full = HG_OBJCACHE_BYTES / HG_OBJCACHE_OBJ_MAX;
	const int64_t	 seven[] = { 7 }, ends[] = { 1, full, full + 1,
	    1 + HG_OBJCACHE_SLOTS };
	struct objcache_text *got[4];
	size_t		 len, i;
	int64_t		 id;

	memset(big, 'x', sizeof(big));
	put_text(c, 7, 0, big, sizeof(big));
	CHECK_INT(objcache_take(c, seven, 1, 0, got), 0);
	/* As many of the largest as the bytes allow are all kept; one
	 * more is not... */
	for (id = 1; id <= full + 1; id++)
		put_text(c, id, 0, big, HG_OBJCACHE_OBJ_MAX);
	CHECK_INT(objcache_take(c, ends, 3, 0, got), 2);
	CHECK(got[0] != NULL && got[1] != NULL && got[2] == NULL);
	for (i = 0; i < 3; i++)
		objcache_release(got[i]);
	/* ...until one in the same slot as a kept one takes its room. */
	put_text(c, 1 + HG_OBJCACHE_SLOTS, 0, big, HG_OBJCACHE_OBJ_MAX);
	CHECK_INT(objcache_take(c, ends, 4, 0, got), 2);
	CHECK(got[0] == NULL && got[1] != NULL && got[3] != NULL);
	(void)objcache_text(got[3], &len);
	CHECK_INT(len, HG_OBJCACHE_OBJ_MAX);
	for (i = 0; i < 4; i++)
		objcache_release(got[i]);
	objcache_free(c);
}

/*
 * A text taken stays whole while the page writes it, though the task's
 * object is dropped (an event), replaced (a newer put) and the cache
 * freed meanwhile: the page holds a reference.
 */
static void
a_text_taken_outlives_its_object(void)
{
	struct objcache	*c = objcache_new();
	struct objcache_text *got[1];
	const int64_t	 one[] = { 1 };
	const char	*text;
	size_t		 len;

	put(c, 1, 0);
	CHECK_INT(objcache_take(c, one, 1, 0, got), 1);
	objcache_saw(c, one, 1, 1);
	CHECK_STR(found(c, one, 1, 1), "");
	put_text(c, 1, 1, "{other}", 7);
	objcache_free(c);
	text = objcache_text(got[0], &len);
	CHECK(len == 3 && memcmp(text, "{1}", 3) == 0);
	objcache_release(got[0]);
}

/* ---- list pages through a store that keeps objects ---- */

/* The list for the filter read through st, text (caller frees). */
static char *
page(struct store *st, const char *state, const char *kind, int64_t before,
    int limit)
{
	struct task_filter	 f = { 0, kind, before, limit, 0 };
	struct hg_err		 e;
	char			*text = NULL;
	size_t			 len;
	int64_t			 event;

	if (state != NULL)
		f.state = (enum task_state)state_parse(state);
	if (store_task_list(st, &f, &text, &len, &event, &e) != 0) {
		unit_fail(__FILE__, __LINE__, e.msg);
		return NULL;
	}
	return text;
}

/* Checks that kept and plain give the same page; returns 1 if not. */
static int
pages_differ(struct store *kept, struct store *plain, const char *state,
    const char *kind, int64_t before, int limit)
{
	char	*a = page(kept, state, kind, before, limit);
	char	*b = page(plain, state, kind, before, limit);
	int	 bad = a == NULL || b == NULL || strcmp(a, b) != 0;

	if (bad)
		printf("  %s %s before %lld limit %d:\n    kept:  %.300s\n"
		    "    plain: %.300s\n", state ? state : "-",
		    kind ? kind : "-", (long long)before, limit,
		    a ? a : "(null)", b ? b : "(null)");
	free(a);
	free(b);
	return bad;
}

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Changes task id as the server and runners would, by r. */
static void
change(struct store *w, int64_t id, uint64_t r)
{
	static const char *const results[] = { "{\"n\":1}", "[2]", NULL };
	struct progress	 p = { (double)(r % 150), 150, "step" };
	struct outcome	 o = { TASK_SUCCEEDED, 1, 0, NULL, NULL, 0, NULL,
	    NULL, NULL, NULL, NULL };
	struct runner_ref ref;
	struct hg_err	 e;
	cJSON		*t = NULL;
	char		*kind = NULL, *params = NULL;

	switch (r % 6) {
	case 0:
		(void)store_task_claim(w, id, 100, 1100, &kind, &params, NULL,
		    NULL, &e);
		break;
	case 1:
		(void)store_task_progress(w, id, &p, &e);
		break;
	case 2:
		o.result = results[r / 6 % 3];
		if (r / 6 % 2)
			o = (struct outcome){ TASK_FAILED, 1, 3, "exit_code",
			    "exited with status 3", 0, NULL, NULL, NULL, NULL,
			    NULL };
		(void)store_task_finish(w, id, &p, &o, &e);
		break;
	case 3:
		(void)store_task_stop(w, id, &t, &ref, &e);
		break;
	case 4:
		(void)store_task_delete(w, id, &e);
		break;
	case 5:
		(void)create(w, r % 2 ? "count" : "sleep", r % 3 ? "n" : NULL);
		break;
	}
	free(kind);
	free(params);
	cJSON_Delete(t);
}

static void
pages_with_objects_kept_are_the_pages_without(void)
{
	struct store	*kept = open_db(), *plain = open_db(), *w = open_db();
	struct objcache	*c = objcache_new();
	static const char *const states[] = { NULL, "queued", "running",
	    "succeeded" };
	uint64_t	 x = 0x9e3779b97f4a7c15ULL, hits, misses, r;
	int		 i, bad = 0;

	store_keep_objects(kept, c);
	/* Running: a queued task's object is never kept. */
	for (i = 0; i < 80; i++) {
		create(w, i % 2 ? "count" : "sleep", NULL);
		claim(w, i + 1, 100 + i);
	}
	for (i = 0; i < 600; i++) {
		r = xorshift(&x);
		change(w, (int64_t)(r % 90) + 1, r >> 8);
		/* Now and then more events between two pages than the
		 * cache reads (creates: each one writes its event). */
		if (i % 150 == 149)
			for (r = 0; r <= HG_OBJCACHE_SCAN; r++)
				change(w, 0, 5);
		r = xorshift(&x);
		bad += pages_differ(kept, plain, states[r % 4], r / 4 % 3 ?
		    NULL : "count", r / 12 % 2 ? 0 : (int64_t)(r % 100),
		    (int)(r / 24 % 60) + 1);
	}
	CHECK_INT(bad, 0);
	objcache_counts(c, &hits, &misses);
	printf("  objects found %llu, read %llu\n", (unsigned long long)hits,
	    (unsigned long long)misses);
	CHECK(hits > misses);
	store_close(kept);
	store_close(plain);
	store_close(w);
	objcache_free(c);
}

static void
a_page_reads_again_only_the_task_that_changed(void)
{
	struct store	*st = open_db(), *w = open_db();
	struct objcache	*c = objcache_new();
	struct progress	 p = { 42, 150, "halfway" };
	struct hg_err	 e;
	uint64_t	 hits, misses;
	char		*text;
	int		 i;

	store_keep_objects(st, c);
	for (i = 0; i < 60; i++) {
		create(w, "count", NULL);
		claim(w, i + 1, 100 + i);
	}
	/* Nothing kept yet: the page is read whole, and kept. */
	CHECK(objcache_empty(c));
	free(page(st, NULL, NULL, 0, 50));
	objcache_counts(c, &hits, &misses);
	CHECK_INT(hits + misses, 0);
	CHECK(!objcache_empty(c));
	/* The same page under another key: all 50 kept. */
	free(page(st, NULL, NULL, 1000, 50));
	objcache_counts(c, &hits, &misses);
	CHECK_INT(hits, 50);
	CHECK_INT(store_task_progress(w, 30, &p, &e), 0);
	text = page(st, NULL, NULL, 0, 50);
	objcache_counts(c, &hits, &misses);
	CHECK_INT(hits, 50 + 49);
	CHECK_INT(misses, 1);
	CHECK(text != NULL && strstr(text, "\"message\":\"halfway\"") !=
	    NULL);
	free(text);
	/* Past the events the cache reads: all read again, and right. */
	for (i = 0; i < HG_OBJCACHE_SCAN; i++)
		CHECK_INT(store_task_progress(w, 30, &p, &e), 0);
	p.message = "later";
	CHECK_INT(store_task_progress(w, 30, &p, &e), 0);
	text = page(st, NULL, NULL, 0, 50);
	objcache_counts(c, &hits, &misses);
	CHECK_INT(hits, 50 + 49);
	CHECK_INT(misses, 1);
	CHECK(text != NULL && strstr(text, "\"message\":\"later\"") != NULL);
	free(text);
	/* And kept again. */
	text = page(st, NULL, NULL, 2000, 50);
	objcache_counts(c, &hits, &misses);
	CHECK_INT(hits, 50 + 49 + 50);
	CHECK(text != NULL && strstr(text, "\"message\":\"later\"") != NULL);
	free(text);
	store_close(st);
	store_close(w);
	objcache_free(c);
}

static void
a_queued_tasks_object_is_never_kept(void)
{
	struct store	*st = open_db(), *w = open_db();
	struct objcache	*c = objcache_new();
	uint64_t	 hits, misses;
	int		 i;

	store_keep_objects(st, c);
	for (i = 0; i < 5; i++)
		create(w, "count", NULL);
	claim(w, 2, 100);
	claim(w, 4, 101);
	free(page(st, NULL, NULL, 0, 5));
	free(page(st, NULL, NULL, 1000, 5));
	objcache_counts(c, &hits, &misses);
	CHECK_INT(hits, 2);
	CHECK_INT(misses, 3);
	store_close(st);
	store_close(w);
	objcache_free(c);
}

/*
 * A Slurm task queued again for its next attempt: the runner that takes
 * it raises its attempt and sets its progress back, and it stays queued
 * while its job waits, so no event says so. The page must show it.
 */
static void
a_slurm_retry_taken_again_shows_its_next_attempt(void)
{
	struct store	*kept = open_db(), *plain = open_db(), *w = open_db();
	struct objcache	*c = objcache_new();
	struct progress	 p = { 7, 10, "seven" };
	struct hg_err	 e;
	sqlite3		*db;
	char		*a, *kind = NULL, *params = NULL;
	int		 i;

	store_keep_objects(kept, c);
	for (i = 0; i < 8; i++)
		create(w, "count", NULL);
	claim(w, 8, 100);
	CHECK_INT(store_task_progress(w, 8, &p, &e), 0);
	/* As a retry's promotion and a Slurm launch leave it (those write
	 * their events; this stand-in writes none, before any page). */
	CHECK_INT(sqlite3_open(db_path(), &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "UPDATE tasks SET state = 'queued', "
	    "slurm_job = 0, runner_pid = NULL WHERE id = 8", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	free(page(kept, NULL, NULL, 0, 10));
	CHECK_INT(store_task_claim(w, 8, 200, 2200, &kind, &params, NULL,
	    NULL, &e), 0);
	free(kind);
	free(params);
	create(w, "count", NULL);	/* another task's event */
	a = page(kept, NULL, NULL, 0, 10);
	CHECK(a != NULL && strstr(a, "\"attempt\":2") != NULL);
	free(a);
	CHECK_INT(pages_differ(kept, plain, NULL, NULL, 0, 10), 0);
	store_close(kept);
	store_close(plain);
	store_close(w);
	objcache_free(c);
}

static const struct unit_test tests[] = {
	UNIT(an_object_is_kept_only_from_the_snapshot_the_cache_has_seen),
	UNIT(events_drop_their_tasks_objects),
	UNIT(a_slot_holds_one_task),
	UNIT(the_bytes_kept_are_bounded),
	UNIT(a_text_taken_outlives_its_object),
	UNIT(pages_with_objects_kept_are_the_pages_without),
	UNIT(a_page_reads_again_only_the_task_that_changed),
	UNIT(a_queued_tasks_object_is_never_kept),
	UNIT(a_slurm_retry_taken_again_shows_its_next_attempt),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
