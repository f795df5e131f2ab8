#include <signal.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "builtin.h"
#include "hg.h"
#include "json.h"
#include "kinds.h"
#include "outbox.h"
#include "signals.h"

/* The builtin count: 1..total, delay_ms apart. Returns 1 if stopped. */
static int
run_count(struct outbox *ob, const cJSON *params, const sigset_t *unblocked)
{
	int64_t	 total = 0, delay = 0, i;

	(void)json_int(cJSON_GetObjectItemCaseSensitive(params, "total"),
	    &total);
	(void)json_int(cJSON_GetObjectItemCaseSensitive(params, "delay_ms"),
	    &delay);
	for (i = 1; i <= total; i++) {
		if (signals_stop)
			return 1;
		/* The last step ends the task: it goes with the end. */
		if (i == total) {
			outbox_progress_last(ob, (double)i, (double)total);
			break;
		}
		outbox_progress(ob, (double)i, (double)total, NULL);
		if (outbox_wait(ob, hg_mono_ms() + delay, unblocked))
			return 1;
	}
	return 0;
}

int
builtin_run(struct outbox *ob, const struct kind *k, const cJSON *params,
    const sigset_t *unblocked)
{
	switch (k->builtin) {
	case BUILTIN_COUNT:
		return run_count(ob, params, unblocked);
	case BUILTIN_NONE:
		break;
	}
	return 0;
}
