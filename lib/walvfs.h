/*
 * A VFS for Hourglass's connections: SQLite's default (unix), except
 * that a transaction's frames reach the write-ahead log in one write
 * rather than two each (a frame's header, then its page). Each of the
 * server and the runners writes; a commit of ten frames was twenty
 * pwrite calls inside the write gate that every other writer waits
 * for. Frames are held only while their connection holds the log's
 * write lock, and a commit is written whole before SQLite makes it
 * seen. The files' contents, the shared memory and the locks are the
 * default VFS's: other programs (the sqlite3 shell) share the database
 * as before.
 */
#ifndef HG_WALVFS_H
#define HG_WALVFS_H

#include <sqlite3.h>

#define WALVFS_NAME	"hourglass"

/* Registers the VFS, once, and returns its name for sqlite3_open_v2,
 * or NULL if it could not be (the default VFS is then used). */
const char	*walvfs_name(void);

/* Why db's write transaction, the last or the one under way, failed to
 * write its held frames: an errno (ENOSPC: the disk is full), or 0. A
 * failed write of held frames reaches SQLite as SQLITE_IOERR_WRITE, so
 * that it undoes the whole transaction; sqlite3_system_errno does not
 * see it. */
int		 walvfs_errno(sqlite3 *db);
/* The writes that a log file opened by this VFS has made to its file,
 * or -1 for any other file. For the tests. */
int		 walvfs_writes(sqlite3_file *f);
/* Makes the next write of held frames, in any connection of this
 * process, fail with rc (SQLITE_FULL: as a full disk would), not
 * written. For the tests. */
void		 walvfs_fail_next_flush(int rc);

#endif
