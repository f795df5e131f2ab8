/*
 * A runner killed outright (SIGKILL, the OOM killer) leaves its command
 * running. Every runner leads a session of its own (setsid: the
 * session's id is its pid), and its command, and all that the command
 * starts, are born into that session and stay in it unless they call
 * setsid themselves. So nothing needs recording for the janitor to find
 * them: before the task ends lost (or, with retries, runs again beside
 * them), it ends what is left of the dead runner's session as a stop
 * would, SIGTERM to each process group in it, then SIGKILL after the
 * kind's grace_s. Sessions being ended are kept here, a few
 * (HG_REAP_MAX), so that the janitor, which also starts queued tasks,
 * never waits on one; a server restarted midway starts over with
 * SIGTERM.
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
	int64_t	 kill_at;	/* monotonic ms SIGKILL is due */
	int64_t	 seen;		/* monotonic ms it was last looked at */
} reaping[HG_REAP_MAX];

/* What a look through /proc found of a dead runner's session. */
struct members {
	int	 live;		/* members not yet zombies */
	int	 strangers;	/* of them, older than the runner */
	size_t	 ngroups;	/* their process groups, the first few */
	pid_t	 groups[HG_REAP_GROUPS];
};

static void
group_add(struct members *m, int64_t pgrp)
{
	size_t	 i;

	for (i = 0; i < m->ngroups; i++)
		if (m->groups[i] == (pid_t)pgrp)
			return;
	if (m->ngroups < HG_REAP_GROUPS)
		m->groups[m->ngroups++] = (pid_t)pgrp;
}

/*
 * The live members of the session of r's runner, in one look through
 * /proc, if that session can still be its. A pid is reused once its
 * process has ended, but the kernel hands out no pid that a process
 * still holds as its session or its process group, and a process
 * enters a session only by being born into it. So while any process of
 * the runner's session lives, nobody else can hold the runner's pid:
 * another process there means the session is gone, and what is in a
 * session of that id now is not ours. A member older than the runner
 * cannot be of its session either; one found means nothing is ours.
 *
 * The look and the kill that follows are not one step: between them a
 * group of ours could end and its id be taken again, which needs the
 * pids to go round all of pid_max (as runners.c's sigqueue does).
 */
static void
members_count(const struct runner_seen *r, struct members *m)
{
	struct hg_proc	 p;
	struct dirent	*de;
	DIR		*d;
	char		*end;
	long		 pid;

	memset(m, 0, sizeof(*m));
	if (r->ref.pid <= 0 || hg_proc_start((long)r->ref.pid) != -1)
		return;
	if ((d = opendir("/proc")) == NULL) {
		m->strangers = 1;	/* nothing to go on: not ours */
		return;
	}
	while ((de = readdir(d)) != NULL) {
		pid = strtol(de->d_name, &end, 10);
		if (pid <= 0 || *end != '\0' || hg_proc_read(pid, &p) == -1 ||
		    p.session != r->ref.pid || p.state == 'Z' ||
		    p.state == 'X')
			continue;
		/* One we may not signal (it took another user's ids, as
		 * sudo's child does) is not ours to end: counted, it would
		 * hold its task running for good. */
		if (kill((pid_t)pid, 0) == -1 && errno == EPERM)
			continue;
		m->live++;
		if (p.start < r->ref.start)
			m->strangers++;
		group_add(m, p.pgrp);
	}
	closedir(d);
}

/* Sends sig to each process group m found. */
static void
groups_signal(const struct members *m, int sig)
{
	size_t	 i;

	for (i = 0; i < m->ngroups; i++)
		(void)kill(-m->groups[i], sig);
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
	struct members		 m;
	int64_t			 now = hg_mono_ms();
	double			 grace;

	members_count(r, &m);
	if (m.live == 0 || m.strangers > 0) {
		slot_drop(id);
		return 1;
	}
	if ((s = slot(id, now)) == NULL)
		return 0;	/* taken up at a later pass */
	if (s->kill_at == 0) {
		k = kinds_find(srv.kinds, r->kind);
		grace = k != NULL ? k->grace_s : KINDS_GRACE_DEFAULT;
		s->kill_at = now + (int64_t)(grace * 1000);
		groups_signal(&m, SIGTERM);
	} else if (now >= s->kill_at)
		groups_signal(&m, SIGKILL);
	s->seen = now;
	return 0;
}
