/*
 * A task's files in the data folder: its log, <data>/logs/<id>.log, and
 * its working folder, <data>/tasks/<id>, where a command runs unless its
 * kind names a cwd. The log is written by whoever runs the task (its
 * runner, or the report handler for an external task), one line at a
 * time, and capped at HOURGLASS_LOG_MAX: past the cap, one marker line
 * (HG_LOG_CUT) and nothing more. config_load() makes the two folders.
 */
#ifndef HG_TASKFILES_H
#define HG_TASKFILES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

/* The path of task id's log, or of its folder, in buf. Returns 0, or
 * -1 if it does not fit in len bytes. */
int	taskfiles_log_path(const struct config *c, int64_t id, char *buf,
	    size_t len);
int	taskfiles_dir_path(const struct config *c, int64_t id, char *buf,
	    size_t len);
/* Makes task id's folder unless it is there; its path goes in buf.
 * The calling process's spare folder (below) becomes it if there is
 * one. Returns 0, or -1 with errno set (ENAMETOOLONG: it did not fit). */
int	taskfiles_dir_make(const struct config *c, int64_t id, char *buf,
	    size_t len);

/*
 * A runner's spare folder, <data>/tasks/.spares/<pid>: made while the
 * runner waits for a task, and renamed to the task's own as it starts
 * (taskfiles_dir_make), since a rename makes no inode: on ext4 a mkdir
 * took 100-400 us of the start, a rename about 20. Where the file
 * system cannot rename without replacing (RENAME_NOREPLACE), the
 * task's folder is made as before. Always empty.
 * taskfiles_spare_make() makes the caller's unless it is there (0, or -1
 * with errno set); taskfiles_spare_remove() removes it, if it is there;
 * taskfiles_spares_sweep() removes those whose process is gone (a runner
 * killed while it waited).
 */
#define TASKFILES_SPARES	".spares"
int	taskfiles_spare_make(const struct config *c);
void	taskfiles_spare_remove(const struct config *c);
void	taskfiles_spares_sweep(const struct config *c);

/*
 * A task's log, open for appending. The cap counts the bytes in the
 * file, or, if it could not be opened, the bytes that would have gone
 * in: the lines a caller records elsewhere are capped the same.
 */
struct taskfiles_log {
	int		 fd;		/* -1: the file could not be opened */
	int		 locked;
	long long	 size;		/* bytes in the file, and admitted */
	long long	 end;		/* bytes written (taskfiles_log_write) */
	long long	 max;		/* HOURGLASS_LOG_MAX */
	int		 cut;		/* the marker is in: nothing more */
	char		 marker[128];	/* HG_LOG_CUT, without its '\n' */
	size_t		 mlen;
};

/*
 * Opens task id's log for appending (made if missing), with its size and
 * whether it already ends with the marker (a report after the cut). With
 * lock, holds an exclusive flock(2) until taskfiles_log_close(), for
 * writers that may run at once: reports of one task. Returns 0, or -1
 * with the reason in err (NULL if errlen is 0); lg is usable either way
 * (fd -1, size 0) and must be closed.
 */
int	taskfiles_log_open(struct taskfiles_log *lg, const struct config *c,
	    int64_t id, int lock, char *err, size_t errlen);

enum taskfiles_put {
	TASKFILES_PUT,		/* the line went in */
	TASKFILES_CUT,		/* it did not fit: the marker went in */
	TASKFILES_FULL		/* the marker is in already: nothing went */
};
/*
 * Appends len bytes of line (no '\n': one is added) unless that would
 * pass the cap; then the marker line goes in its place (its text is
 * lg->marker), and nothing after it. A failed write is not retried.
 */
enum taskfiles_put taskfiles_log_append(struct taskfiles_log *lg,
	    const char *line, size_t len);
/* What taskfiles_log_append() would do with a line of len bytes, and
 * counts it in, without writing: the line (or the marker) is then
 * written by taskfiles_log_write(). */
enum taskfiles_put taskfiles_log_admit(struct taskfiles_log *lg,
	    size_t len);
/*
 * Appends the n lines of v (each without its '\n': one is added), all or
 * none: a write that fails (a full disk) is taken back to where it
 * began, so that the file never holds part of a line. Returns 0, or -1
 * with errno set. With no file (fd -1) there is nothing to do: 0.
 */
int	taskfiles_log_write(struct taskfiles_log *lg, const char *const *v,
	    size_t n);
/* Takes the file back to to bytes (from lg->end, before what was
 * written since), as if that had never been written: its lines did
 * not become events. No file: nothing to do. */
void	taskfiles_log_takeback(struct taskfiles_log *lg, long long to);
/* Unlocks and closes; lg may have failed to open. */
void	taskfiles_log_close(struct taskfiles_log *lg);

/* Opens task id's log to read. Returns the fd (close-on-exec; the
 * caller closes it), or -1: a task that has not started has no log. */
int	taskfiles_log_read(const struct config *c, int64_t id);
/* The offset of the last n lines (n > 0) of the log fd, size bytes
 * long, read backwards a block at a time; 0 if it has n lines or fewer,
 * -1 if a read fails. Every line of a log ends with '\n', but for a
 * last one that a writer killed in a write left cut short, which counts
 * as a line too. */
off_t	taskfiles_log_tail(int fd, off_t size, long n);

/* Removes task id's log and its folder with whatever its command left
 * there; links are removed, never followed. Errors are ignored: what
 * is left is only space. */
void	taskfiles_remove(const struct config *c, int64_t id);

#endif
