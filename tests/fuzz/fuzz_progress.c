/*
 * A command's output line: made valid UTF-8, then read for progress,
 * data items and results. A progress result must be in range, a value
 * within HG_DATA_ITEM_MAX; nothing may crash or leak.
 */
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "progress.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static regex_t	 re;
	static int	 ready;
	static char	 clean[3 * HG_JSON_LINE_MAX + 4];
	struct pline	 pl;
	size_t		 n;

	if (!ready) {
		if (regcomp(&re, "([0-9.]+)% done", REG_EXTENDED) != 0)
			abort();
		ready = 1;
	}
	if (size > HG_JSON_LINE_MAX)
		size = HG_JSON_LINE_MAX;
	n = hg_utf8_clean((const char *)data, size, clean, sizeof(clean));
	if (n >= sizeof(clean) || strlen(clean) != n ||
	    json_utf8_valid(clean, n) == -1)
		abort();
	switch (progress_parse(clean, n, &re, &pl)) {
	case PLINE_PROGRESS:
		if (!isfinite(pl.value) || !isfinite(pl.total) ||
		    pl.value < 0 || pl.total <= 0)
			abort();
		break;
	case PLINE_COMPLETE:
		if (pl.code < -255 || pl.code > 255)
			abort();
		break;
	case PLINE_DATA:
		if (pl.json == NULL || !pline_name_ok(pl.name))
			abort();
		break;
	case PLINE_RESULT:
		if (pl.json == NULL)
			abort();
		break;
	case PLINE_LOG:
		if (pl.json != NULL)
			abort();
		break;
	}
	if (pl.json != NULL && (pl.json_len > HG_DATA_ITEM_MAX ||
	    strlen(pl.json) != pl.json_len ||
	    json_utf8_valid(pl.json, pl.json_len) == -1))
		abort();
	if (pl.has_message && json_utf8_valid(pl.message,
	    strlen(pl.message)) == -1)
		abort();
	if (json_utf8_valid(pl.why, strlen(pl.why)) == -1)
		abort();
	pline_free(&pl);
	return 0;
}
