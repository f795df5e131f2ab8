/*
 * lib/hg's /proc reading: what the janitor goes by before it signals a
 * dead runner's command group (fcgi/reaper.c).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hg.h"
#include "unit.h"

/* Our own process, as the kernel has it. */
static void
read_gives_our_group_session_and_start(void)
{
	struct hg_proc	 p;

	CHECK_INT(hg_proc_read((long)getpid(), &p), 0);
	CHECK_INT(p.pgrp, getpgrp());
	CHECK_INT(p.session, getsid(0));
	CHECK(p.start > 0);
	CHECK_INT(p.start, hg_proc_start((long)getpid()));
	CHECK(p.state == 'R');
}

/* A child that ended and is not yet reaped reads as a zombie, with its
 * start; once reaped, as none. */
static void
zombie_reads_z_and_a_reaped_child_none(void)
{
	struct hg_proc	 p;
	int64_t		 start;
	pid_t		 pid;
	int		 i;

	if ((pid = fork()) == 0)
		_exit(0);
	CHECK(pid > 0);
	start = hg_proc_start((long)pid);
	CHECK(start >= hg_proc_start((long)getpid()));
	for (i = 0; i < 500; i++) {
		CHECK_INT(hg_proc_read((long)pid, &p), 0);
		if (p.state == 'Z')
			break;
		usleep(10000);
	}
	CHECK(p.state == 'Z');
	CHECK_INT(p.start, start);
	CHECK_INT(p.pgrp, getpgrp());
	CHECK_INT(waitpid(pid, NULL, 0), pid);
	CHECK_INT(hg_proc_read((long)pid, &p), -1);
	CHECK_INT(hg_proc_start((long)pid), -1);
}

static const struct unit_test tests[] = {
	UNIT(read_gives_our_group_session_and_start),
	UNIT(zombie_reads_z_and_a_reaped_child_none),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
