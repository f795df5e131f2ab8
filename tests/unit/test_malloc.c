/*
 * lib/hg.c's hg_malloc_keep(): what a program frees stays with it, to be
 * given back when it is idle, rather than going back to the kernel at
 * each free (each unmap or shrink of the heap stops every core to flush
 * its TLB). The sanitizers bring allocators of their own, which take no
 * such setting: there, glibc's figures stay at zero and only the plain
 * build tells.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "hg.h"
#include "unit.h"

#define MIB	(1024 * 1024)

/* A block of 1 MiB (a runner's data batch) comes from the heap, not from
 * a mapping of its own made and unmade for it. */
static void
a_block_of_a_mib_is_not_mapped_on_its_own(void)
{
	struct mallinfo2	 before, after;
	char			*p;

	hg_malloc_keep();
	before = mallinfo2();
	CHECK((p = malloc(MIB)) != NULL);
	memset(p, 1, MIB);
	after = mallinfo2();
	CHECK_INT((long long)after.hblks, (long long)before.hblks);
	free(p);
}

/* Freeing a MiB at the top of the heap leaves the heap as large. */
static void
a_free_at_the_top_of_the_heap_does_not_shrink_it(void)
{
	struct mallinfo2	 before, after;
	char			*p[64];
	size_t			 i;

	hg_malloc_keep();
	for (i = 0; i < 64; i++) {
		CHECK((p[i] = malloc(MIB / 64)) != NULL);
		memset(p[i], 1, MIB / 64);
	}
	before = mallinfo2();
	for (i = 64; i-- > 0; )
		free(p[i]);
	after = mallinfo2();
	CHECK_INT((long long)after.arena, (long long)before.arena);
}

static const struct unit_test tests[] = {
	UNIT(a_block_of_a_mib_is_not_mapped_on_its_own),
	UNIT(a_free_at_the_top_of_the_heap_does_not_shrink_it),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
