#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "hg.h"

/* ThreadSanitizer counts a pthread_mutex_timedlock that returns
 * EOWNERDEAD as no lock, and then the unlock as a bug: tell it. */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define TSAN_LOCKED(m)	(__tsan_mutex_pre_lock((m), 0), \
			    __tsan_mutex_post_lock((m), 0, 0))
#else
#define TSAN_LOCKED(m)	((void)0)
#endif

/* Names the layout below: a file made by another layout is made anew. */
#define GATE_MAGIC	(0x6867617465000000ULL | sizeof(pthread_mutex_t))

struct gate_file {
	uint64_t	 magic;
	pthread_mutex_t	 mu;
};

struct gate {
	struct gate_file	*f;
};

/* With the file locked (flock): sets the mutex up if it is not. */
static int
gate_init(struct gate_file *f)
{
	pthread_mutexattr_t	 a;
	int			 rc;

	if (f->magic == GATE_MAGIC)
		return 0;
	if (pthread_mutexattr_init(&a) != 0)
		return -1;
	rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutex_init(&f->mu, &a) != 0 ? -1 : 0;
	pthread_mutexattr_destroy(&a);
	if (rc == 0)
		f->magic = GATE_MAGIC;
	return rc;
}

struct gate *
gate_open(const char *path)
{
	struct gate	*g = NULL;
	struct stat	 sb;
	void		*m = MAP_FAILED;
	int		 fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return NULL;
	/* Whoever comes first sizes the file and sets the mutex up; the
	 * others wait for that here. */
	if (flock(fd, LOCK_EX) == -1)
		goto out;
	if (fstat(fd, &sb) == -1 || (sb.st_size < (off_t)sizeof(*g->f) &&
	    ftruncate(fd, sizeof(*g->f)) == -1))
		goto out;
	m = mmap(NULL, sizeof(*g->f), PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (m == MAP_FAILED || gate_init(m) == -1 ||
	    (g = calloc(1, sizeof(*g))) == NULL)
		goto out;
	g->f = m;
	m = MAP_FAILED;
out:
	if (m != MAP_FAILED)
		munmap(m, sizeof(*g->f));
	/* Unlocked by hand: the mapping holds the open file, and with it
	 * the flock, past the close. */
	(void)flock(fd, LOCK_UN);
	close(fd);
	return g;
}

void
gate_close(struct gate *g)
{
	if (g == NULL)
		return;
	munmap(g->f, sizeof(*g->f));
	free(g);
}

int
gate_enter(struct gate *g, int timeout_ms)
{
	struct timespec	 ts;
	int		 rc;

	hg_deadline(&ts, CLOCK_REALTIME, timeout_ms);
	rc = pthread_mutex_timedlock(&g->f->mu, &ts);
	/* Its holder died: the gate is ours, and what it guarded is
	 * SQLite's to recover (its journal), not ours. */
	if (rc == EOWNERDEAD) {
		TSAN_LOCKED(&g->f->mu);
		if ((rc = pthread_mutex_consistent(&g->f->mu)) != 0)
			pthread_mutex_unlock(&g->f->mu);
	}
	return rc == 0 ? 0 : -1;
}

void
gate_leave(struct gate *g)
{
	pthread_mutex_unlock(&g->f->mu);
}
