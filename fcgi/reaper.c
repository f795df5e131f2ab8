/*
 * A runner killed outright (SIGKILL, the OOM killer) leaves its command
 * running: the command is the leader of a process group of its own,
 * which the runner recorded in the task's row. Before the task ends
 * lost (or, with retries, runs again beside it), the janitor ends that
 * group as a stop would: SIGTERM, then SIGKILL after the kind's grace_s.
 * Groups being ended are kept here, a few (HG_REAP_MAX), so that the
 * janitor, which also starts queued tasks, never waits on one; a server
 * restarted midway starts over with SIGTERM.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reaper.h"
#include "server.h"

/* The janitor thread's own: nobody else reads or writes it. */
static struct reaping {
	int64_t	 id;		/* the task; 0: a free slot */
	int64_t	 pgid;
	int64_t	 kill_at;	/* monotonic ms SIGKILL is due */
	int64_t	 seen;		/* monotonic ms it was last looked at */
} reaping[HG_REAP_MAX];

/* What a look through /proc found of group pgid. */
struct members {
	int	 live;		/* members not yet zombies */
	int	 strangers;	/* of them, outside the runner's session, or
				 * older than the leader */
};

/* Counts the live members of r's group, in one look through /proc. */
static void
members_count(const struct runner_seen *r, struct members *m)
{
	struct hg_proc	 p;
	struct dirent	*de;
	DIR		*d;
	char		*end;
	long		 pid;

	memset(m, 0, sizeof(*m));
	if ((d = opendir("/proc")) == NULL) {
		m->strangers = 1;	/* nothing to go on: not ours */
		return;
	}
	while ((de = readdir(d)) != NULL) {
		pid = strtol(de->d_name, &end, 10);
		if (pid <= 0 || *end != '\0' || hg_proc_read(pid, &p) == -1 ||
		    p.pgrp != r->pgid || p.state == 'Z' || p.state == 'X')
			continue;
		m->live++;
		if (p.session != r->ref.pid || p.start < r->pg_start)
			m->strangers++;
	}
	closedir(d);
}

/*
 * Whether group r->pgid is the one r's runner recorded, with live
 * members. A pid is reused once its process has ended, so a group id is
 * too; but the kernel hands out no pid that a process still holds as
 * its process group or its session (POSIX: a group's id is not reused
 * while the group lives), and a process enters a session only by being
 * born into it.
 *
 * - The leader is there with the recorded start time: it is our
 *   command, and a group with its id can only be the one it made.
 * - A process holds the leader's pid with another start time: the pid
 *   came free, so every member of ours had ended first. Not ours.
 * - No leader: the group is ours while members of ours remain, and then
 *   no new group can have its id. It counts as ours only if every live
 *   member is in the runner's session (the runner called setsid, so the
 *   session's id is its pid) and is no older than the leader, and no
 *   other process holds the runner's pid. A stranger's group would need
 *   the group id and the runner's pid both to come free and be taken
 *   again, the second by a session leader under which the first made a
 *   group, both of them gone since: pids are handed out in turn, each
 *   of the two after going round all of pid_max.
 *
 * The look and the kill that follows are not one step: between them a
 * group of ours could end and its id be taken again, which also needs
 * the pids to go round (as runners.c's sigqueue does).
 */
static int
group_ours(const struct runner_seen *r)
{
	struct members	 m;
	struct hg_proc	 leader;

	members_count(r, &m);
	if (m.live == 0)
		return 0;
	if (hg_proc_read((long)r->pgid, &leader) == 0)
		return leader.start == r->pg_start;
	return m.strangers == 0 && hg_proc_start((long)r->ref.pid) == -1;
}

/* The slot of task id, a new one for it (id set, kill_at 0), or NULL if
 * all are taken. */
static struct reaping *
slot(int64_t id, int64_t now)
{
	struct reaping	*free = NULL;
	size_t		 i;

	for (i = 0; i < HG_REAP_MAX; i++) {
		if (reaping[i].id == id)
			return &reaping[i];
		if (free == NULL && (reaping[i].id == 0 ||
		    now - reaping[i].seen >= HG_REAP_STALE_MS))
			free = &reaping[i];
	}
	if (free != NULL) {
		memset(free, 0, sizeof(*free));
		free->id = id;
	}
	return free;
}

static void
slot_drop(int64_t id)
{
	size_t	 i;

	for (i = 0; i < HG_REAP_MAX; i++)
		if (reaping[i].id == id)
			memset(&reaping[i], 0, sizeof(reaping[i]));
}

int
reaper_gone(int64_t id, const struct runner_seen *r)
{
	const struct kind	*k;
	struct reaping		*s;
	int64_t			 now = hg_mono_ms();
	double			 grace;

	/* kill(-pgid, 0) fails with ESRCH once no process is in the group,
	 * and EPERM for a group none of whose members are ours to signal. */
	if (r->pgid <= 0 || kill(-(pid_t)r->pgid, 0) == -1 ||
	    !group_ours(r)) {
		slot_drop(id);
		return 1;
	}
	if ((s = slot(id, now)) == NULL)
		return 0;	/* taken up at a later pass */
	if (s->kill_at == 0 || s->pgid != r->pgid) {
		k = kinds_find(srv.kinds, r->kind);
		grace = k != NULL ? k->grace_s : KINDS_GRACE_DEFAULT;
		s->pgid = r->pgid;
		s->kill_at = now + (int64_t)(grace * 1000);
		(void)kill(-(pid_t)r->pgid, SIGTERM);
	} else if (now >= s->kill_at)
		(void)kill(-(pid_t)r->pgid, SIGKILL);
	s->seen = now;
	return 0;
}
