/*
 * An id from a path: accepted only as canonical decimal 1..2^63-1, so
 * that printing an accepted id gives back exactly its text.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 buf[32];
	int64_t	 id;

	if (hg_parse_id((const char *)data, size, &id) == -1)
		return 0;
	snprintf(buf, sizeof(buf), "%" PRId64, id);
	if (id < 1 || strlen(buf) != size || memcmp(buf, data, size) != 0)
		abort();
	return 0;
}
