/*
 * lib/state: the enum inside, the contract's names at the edges.
 */
#include <stdio.h>

#include "state.h"
#include "unit.h"

static const char *const names[] = {
	"queued", "running", "stopping", "retrying", "succeeded", "failed",
	"canceled", "lost"
};

static void
parse_and_name_round_trip_every_state(void)
{
	size_t	 i;
	int	 s;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		s = state_parse(names[i]);
		CHECK(s > 0);
		CHECK_STR(state_name((enum task_state)s), names[i]);
	}
	CHECK_INT(state_parse("queued"), TASK_QUEUED);
	CHECK_INT(state_parse("lost"), TASK_LOST);
}

static void
parse_of_unknown_or_null_is_minus_1(void)
{
	CHECK_INT(state_parse(NULL), -1);
	CHECK_INT(state_parse(""), -1);
	CHECK_INT(state_parse("Queued"), -1);
	CHECK_INT(state_parse("queued "), -1);
	CHECK_INT(state_parse("done"), -1);
}

static void
name_of_no_state_is_null(void)
{
	CHECK(state_name(0) == NULL);
	CHECK(state_name((enum task_state)(TASK_LOST + 1)) == NULL);
}

static void
active_and_final_split_the_states(void)
{
	CHECK(state_active(TASK_QUEUED) && !state_final(TASK_QUEUED));
	CHECK(state_active(TASK_RUNNING) && !state_final(TASK_RUNNING));
	CHECK(state_active(TASK_STOPPING) && !state_final(TASK_STOPPING));
	CHECK(state_active(TASK_RETRYING) && !state_final(TASK_RETRYING));
	CHECK(!state_active(TASK_SUCCEEDED) && state_final(TASK_SUCCEEDED));
	CHECK(!state_active(TASK_FAILED) && state_final(TASK_FAILED));
	CHECK(!state_active(TASK_CANCELED) && state_final(TASK_CANCELED));
	CHECK(!state_active(TASK_LOST) && state_final(TASK_LOST));
	CHECK(!state_active(0) && !state_final(0));
}

static const struct unit_test tests[] = {
	UNIT(parse_and_name_round_trip_every_state),
	UNIT(parse_of_unknown_or_null_is_minus_1),
	UNIT(name_of_no_state_is_null),
	UNIT(active_and_final_split_the_states),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
