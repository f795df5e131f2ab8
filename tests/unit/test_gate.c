/*
 * lib/gate: one holder at a time across processes, a holder that dies
 * hands it on, a wait past its timeout says so, and a store's writes go
 * through it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gate.h"
#include "hg.h"
#include "store.h"
#include "unit.h"

static const char *
gate_path(void)
{
	static char	 path[4200];

	snprintf(path, sizeof(path), "%s/g-gate", unit_dir);
	return path;
}

/* A child that has taken the gate: it holds it until it is killed, or
 * exits holding it if die. Returns its pid once it holds it. */
static pid_t
holder(int die)
{
	struct gate	*g;
	pid_t		 pid;
	char		 c;
	int		 p[2];

	CHECK(pipe(p) == 0);
	if ((pid = fork()) == 0) {
		if ((g = gate_open(gate_path())) == NULL ||
		    gate_enter(g, 1000) == -1)
			_exit(1);
		(void)write(p[1], "x", 1);
		if (die)
			_exit(0);	/* without gate_leave */
		for (;;)
			pause();
	}
	CHECK(read(p[0], &c, 1) == 1);
	close(p[0]);
	close(p[1]);
	return pid;
}

/* Takes the gate n times over, each within a second. */
static void
take(int n)
{
	struct gate	*g;

	CHECK((g = gate_open(gate_path())) != NULL);
	while (n-- > 0) {
		CHECK_INT(gate_enter(g, 1000), 0);
		gate_leave(g);
	}
	gate_close(g);
}

static void
one_holder_at_a_time_across_processes(void)
{
	struct gate	*g;
	int		 st;
	pid_t		 pid;

	pid = holder(0);
	CHECK((g = gate_open(gate_path())) != NULL);
	/* Held by the child: the wait times out. */
	CHECK_INT(gate_enter(g, 100), -1);
	gate_close(g);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	/* Killed holding it: it is handed on. */
	take(1);
}

static void
a_holder_that_exits_hands_it_on(void)
{
	int	 st;

	waitpid(holder(1), &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Taken from the dead, then again, now that it is consistent. */
	take(2);
}

static void
a_file_of_another_layout_is_made_anew(void)
{
	FILE	*f;

	CHECK((f = fopen(gate_path(), "w")) != NULL);
	fputs("not a gate", f);
	fclose(f);
	take(1);
}

static void
a_missing_folder_gives_no_gate(void)
{
	char	 path[4300];

	snprintf(path, sizeof(path), "%s/no/such/g-gate", unit_dir);
	CHECK(gate_open(path) == NULL);
	gate_close(NULL);
}

/*
 * A store's write transaction holds its database's gate (<db>-gate) and
 * lets it go at its end: while a child holds the gate, a write waits for
 * it and, past the wait, goes on under SQLite's lock alone.
 */
static void
store_writes_take_the_gate(void)
{
	struct store	*st;
	struct gate	*g;
	struct hg_err	 e;
	char		 db[4200], gp[4300], err[256];

	snprintf(db, sizeof(db), "%s/hourglass.db", unit_dir);
	snprintf(gp, sizeof(gp), "%s-gate", db);
	CHECK((st = store_open(db, 1, err, sizeof(err))) != NULL);
	CHECK(access(gp, F_OK) == 0);
	CHECK(store_count(st, "start_failed", &e) == 0);
	/* Let go after the write: another can take it at once. */
	CHECK((g = gate_open(gp)) != NULL);
	CHECK_INT(gate_enter(g, 0), 0);
	gate_leave(g);
	gate_close(g);
	store_close(st);
}

static const struct unit_test tests[] = {
	UNIT(one_holder_at_a_time_across_processes),
	UNIT(a_holder_that_exits_hands_it_on),
	UNIT(a_file_of_another_layout_is_made_anew),
	UNIT(a_missing_folder_gives_no_gate),
	UNIT(store_writes_take_the_gate),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
