/*
 * The write gate: Hourglass's writers (the server's threads, every
 * runner) take turns at the database through a process-shared mutex in
 * a small file beside it, taken before BEGIN IMMEDIATE and let go after
 * COMMIT or ROLLBACK. A writer that finds it taken sleeps in the kernel
 * until it is its turn, once, where SQLite's busy handler would wake it
 * again and again to try the lock (each a sleep and a wake, which is
 * most of what a busy writer costs). SQLite's own locking still decides:
 * the gate only orders those who would wait anyway, and a writer
 * without it (another program, a gate that could not be opened) is
 * still safe.
 *
 * The mutex is robust: a process that dies holding it (SIGKILL, OOM)
 * hands it on to the next, as SQLite's own lock is.
 */
#ifndef HG_GATE_H
#define HG_GATE_H

struct gate;	/* one per store; not shared between threads */

/*
 * Opens (and, the first time, makes) the gate file at path. Returns
 * NULL if it cannot: the caller then writes without a gate.
 */
struct gate	*gate_open(const char *path);
/* Closes it; NULL-safe. Must not be held. */
void		 gate_close(struct gate *g);
/*
 * Waits up to timeout_ms for the gate. Returns 0 when held, or -1 (timed
 * out, or broken): the caller may go on without it, as SQLite's lock is
 * what keeps writers apart.
 */
int		 gate_enter(struct gate *g, int timeout_ms);
/* Lets the gate go; the caller holds it. */
void		 gate_leave(struct gate *g);

#endif
