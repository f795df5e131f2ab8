/*
 * fcgi/listcache: whole list answers kept while current. An answer is
 * kept, not copied, and a request sends a kept one by reference: it must
 * stay whole while the cache replaces or frees it.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "../../fcgi/listcache.h"
#include "hg.h"
#include "unit.h"

/* A malloc'd copy of s, as the cache takes answers. */
static char *
text(const char *s)
{
	char	*p = strdup(s);

	CHECK(p != NULL);
	return p;
}

static void
an_answer_is_kept_for_its_key_and_generation(void)
{
	struct listcache_body	*b;
	int64_t			 event;
	uint64_t		 gen, g;
	size_t			 len;

	CHECK(listcache_find("a", &event, &gen) == NULL);
	CHECK_INT(event, 0);
	listcache_put("a", 5, gen, text("[5]"), 3);
	CHECK(listcache_find("b", &event, &g) == NULL);
	CHECK((b = listcache_find("a", &event, &g)) != NULL);
	CHECK_INT(event, 5);
	CHECK(g == gen);
	CHECK(memcmp(listcache_body(b, &len), "[5]", 3) == 0 && len == 3);
	listcache_release(b);
	/* A forget makes no answer current, and one read before it is
	 * not kept after it. */
	listcache_forget();
	CHECK(listcache_gen() != gen);
	CHECK(listcache_find("a", &event, &g) == NULL);
	listcache_put("c", 6, gen, text("[6]"), 3);
	CHECK(listcache_find("c", &event, &g) == NULL);
	CHECK_INT(event, 0);
	listcache_free();
}

static void
an_answer_sent_stays_whole_while_it_is_replaced(void)
{
	struct listcache_body	*b;
	int64_t			 event;
	uint64_t		 gen;
	size_t			 len;
	const char		*p;

	listcache_put("a", 1, listcache_gen(), text("[one]"), 5);
	CHECK((b = listcache_find("a", &event, &gen)) != NULL);
	listcache_put("a", 2, listcache_gen(), text("[two]"), 5);
	listcache_free();
	p = listcache_body(b, &len);
	CHECK(len == 5 && memcmp(p, "[one]", 5) == 0);
	listcache_release(b);
}

/* Too large to keep, or a key too long: freed (the leak check says). */
static void
an_answer_not_kept_is_freed(void)
{
	char	 key[200], *big;
	int64_t	 event;
	uint64_t gen;

	CHECK((big = calloc(1, HG_LISTCACHE_BODY_MAX + 1)) != NULL);
	listcache_put("big", 1, listcache_gen(), big,
	    HG_LISTCACHE_BODY_MAX + 1);
	CHECK(listcache_find("big", &event, &gen) == NULL);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	listcache_put(key, 1, listcache_gen(), text("[]"), 2);
	CHECK(listcache_find(key, &event, &gen) == NULL);
	listcache_free();
}

/* An answer written with room to spare is kept with its bytes only. */
static void
a_kept_answer_holds_only_its_bytes(void)
{
	struct listcache_body	*b;
	int64_t			 event;
	uint64_t		 gen;
	size_t			 len;
	char			*body;

	CHECK((body = malloc(64 * 1024)) != NULL);
	memcpy(body, "[]", 2);
	listcache_put("a", 1, listcache_gen(), body, 2);
	CHECK((b = listcache_find("a", &event, &gen)) != NULL);
	CHECK(malloc_usable_size((void *)listcache_body(b, &len)) < 1024);
	CHECK(len == 2);
	listcache_release(b);
	listcache_free();
}

static const struct unit_test tests[] = {
	UNIT(an_answer_is_kept_for_its_key_and_generation),
	UNIT(an_answer_sent_stays_whole_while_it_is_replaced),
	UNIT(an_answer_not_kept_is_freed),
	UNIT(a_kept_answer_holds_only_its_bytes),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
