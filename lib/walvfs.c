/*
 * SQLite's own VFS (unix), but that the frames of a transaction go to
 * its write-ahead log in one write: see walvfs.h.
 *
 * What SQLite does, read in its wal.c (3.40), that this relies on:
 * a writer holds the log's write lock (WAL_WRITE_LOCK: byte 0 of the
 * shared-memory locks, taken and let go through the database file's
 * xShmLock) from before its first frame to after its commit or
 * rollback; sqlite3WalFrames appends each frame as two writes, its
 * 24-byte header and then its page, the commit frame last; it makes
 * the commit seen (walIndexWriteHdr, in shared memory) only after those
 * writes return; a rollback writes nothing to the log; frames written
 * again in place (a page changed again after the cache spilled it, and
 * walRewriteChecksums after such a commit) are writes below the end of
 * what the transaction wrote; and a write cut at a sync point (only
 * with synchronous FULL) has that sync between its pieces.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "walvfs.h"

/* Frames gathered before a write must go out: 32 KiB, 31 frames of
 * pages of 1 KiB (a task's end writes about ten). A longer run goes out
 * in pieces of this size. Taken at the first write: a connection that
 * only reads has none. */
#define WALVFS_BUF	(32 * 1024)

/* The log's frame header (sqlite.org/fileformat2.html#walformat). */
#define FRAME_HDR	24

/* The root VFS's file follows each of ours, in the room we ask for. */
struct shim {
	sqlite3_file	 base;
	sqlite3_file	*real;
};

struct wal;

/* A main database file: its log's writes are held while the write lock
 * is, which its xShmLock tells. */
struct db {
	struct shim	 s;
	struct wal	*wal;		/* its log, while both are open */
};

struct wal {
	struct shim	 s;
	struct db	*db;		/* NULL: not paired, nothing held */
	char		*buf;
	sqlite3_int64	 off;		/* where buf[0] goes */
	int		 len;
	sqlite3_int64	 end;		/* the end of this transaction's writes */
	int		 locked;	/* the write lock is held: a writer */
	int		 through;	/* this transaction synced: none held */
	int		 commit;	/* in a commit frame, after its header */
	int		 failed;	/* a held write failed: so does the rest */
	int		 failed_errno;	/* why, for walvfs_errno */
	int		 written;	/* writes made, for the tests */
};

/* The root's file goes after ours, 8-aligned as SQLite aligns its own. */
#define ROOM(t)		((sizeof(t) + 7) & ~(size_t)7)

static sqlite3_vfs		*root;
static sqlite3_vfs		 vfs;
static sqlite3_io_methods	 db_io, wal_io;
static pthread_once_t		 once = PTHREAD_ONCE_INIT;
static int			 registered = SQLITE_ERROR;
static int			 fail_next;	/* walvfs_fail_next_flush */

#define REAL(f)		(((struct shim *)(f))->real)
#define REAL_IO(f)	(REAL(f)->pMethods)

/*
 * Writes what is held. It belongs to the transaction that holds the
 * write lock; once the lock is let go (which sends it first) anything
 * still held would be a write past another writer's commits, and is
 * dropped, not written. A failed write is dropped too, and every write
 * of the transaction after it fails (failed): frames SQLite wrote, as
 * it thinks, while its cache spilled are gone, and a commit would make
 * them seen. SQLite does not always end a transaction at an error it
 * gets from a read (a full disk undoes only the statement).
 */
static int
flush(struct wal *w)
{
	int	 rc = SQLITE_OK;

	if (w->len > 0 && w->locked) {
		if (fail_next != SQLITE_OK) {
			rc = fail_next;
			fail_next = SQLITE_OK;
		} else
			rc = REAL_IO(w)->xWrite(REAL(w), w->buf, w->len,
			    w->off);
		w->written++;
		if (rc != SQLITE_OK) {
			w->failed = 1;
			/* The unix VFS answers a full disk, a short write
			 * included, SQLITE_FULL. */
			w->failed_errno = rc == SQLITE_FULL ? ENOSPC : errno;
		}
	}
	w->len = 0;
	return rc;
}

/* Sends what is held before anything else is done to the file. A
 * failure here is a write's, whatever the caller was doing: reported
 * as one, which SQLite answers by undoing the whole transaction. */
static int
settle(struct wal *w)
{
	return flush(w) == SQLITE_OK ? SQLITE_OK : SQLITE_IOERR_WRITE;
}

static int
direct(struct wal *w, const void *p, int amt, sqlite3_int64 off)
{
	w->written++;
	return REAL_IO(w)->xWrite(REAL(w), p, amt, off);
}

/*
 * SQLite writes a transaction's frames one after another, each as its
 * header and then its page; the last frame's header names the size of
 * the database after the commit (non-zero only there). Other
 * connections see the commit only once SQLite has written the log's
 * index in shared memory, after this returns for the commit frame's
 * page: the frames are held until that page has come, and go then, in
 * one write whose failure is the commit's. Held only while this
 * connection holds the write lock, and only frames appended: a write
 * in place, a write after a sync in the same transaction, or a
 * transaction's first write after the log began again, goes out at
 * once, after what is held.
 */
static int
wal_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	struct wal		*w = (struct wal *)f;
	const unsigned char	*h = p;
	int			 rc;

	if (w->failed && w->locked)
		return SQLITE_IOERR_WRITE;
	if (amt == FRAME_HDR)
		w->commit = (h[4] | h[5] | h[6] | h[7]) != 0;
	if (w->len > 0 && (off != w->off + w->len ||
	    amt > WALVFS_BUF - w->len) && (rc = flush(w)) != SQLITE_OK)
		return rc;
	if (!w->locked || w->through || off < w->end || amt > WALVFS_BUF) {
		if (off + amt > w->end)
			w->end = off + amt;
		return direct(w, p, amt, off);
	}
	w->end = off + amt;
	if (w->buf == NULL && (w->buf = sqlite3_malloc(WALVFS_BUF)) == NULL)
		return direct(w, p, amt, off);
	if (w->len == 0)
		w->off = off;
	memcpy(w->buf + w->len, p, (size_t)amt);
	w->len += amt;
	/* The commit frame's page (all of it, should it come in pieces). */
	return w->commit && amt != FRAME_HDR ? flush(w) : SQLITE_OK;
}

static int
wal_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	int	 rc;

	if ((rc = settle((struct wal *)f)) != SQLITE_OK)
		return rc;
	return REAL_IO(f)->xRead(REAL(f), p, amt, off);
}

static int
wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int	 rc;

	if ((rc = settle((struct wal *)f)) != SQLITE_OK)
		return rc;
	return REAL_IO(f)->xTruncate(REAL(f), size);
}

/* A sync inside a transaction (the log's header when it begins again,
 * or every commit under synchronous FULL): nothing more of it is held. */
static int
wal_sync(sqlite3_file *f, int flags)
{
	struct wal	*w = (struct wal *)f;
	int		 rc;

	if (w->failed && w->locked)
		return SQLITE_IOERR_WRITE;
	if ((rc = settle(w)) != SQLITE_OK)
		return rc;
	w->through = w->locked;
	return REAL_IO(w)->xSync(REAL(w), flags);
}

static int
wal_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int	 rc;

	if ((rc = settle((struct wal *)f)) != SQLITE_OK)
		return rc;
	return REAL_IO(f)->xFileSize(REAL(f), size);
}

static int
wal_close(sqlite3_file *f)
{
	struct wal	*w = (struct wal *)f;

	(void)flush(w);
	if (w->db != NULL)
		w->db->wal = NULL;
	sqlite3_free(w->buf);
	w->buf = NULL;
	return REAL_IO(w)->xClose(REAL(w));
}

/*
 * The write lock of the log, taken or let go. Let go, what the
 * transaction left held goes first (frames of one rolled back after its
 * cache spilled: past the log's end, as SQLite would have written them),
 * while no other writer can write there.
 */
static int
db_shm_lock(sqlite3_file *f, int ofst, int n, int flags)
{
	const sqlite3_io_methods *io = REAL_IO(f);
	struct wal	*w = ((struct db *)f)->wal;
	int		 writer = w != NULL && ofst == 0 && n == 1, rc;

	if (io->iVersion < 2 || io->xShmLock == NULL)
		return SQLITE_IOERR_SHMLOCK;
	if (writer && flags == (SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE)) {
		(void)flush(w);
		w->locked = 0;
	}
	rc = io->xShmLock(REAL(f), ofst, n, flags);
	if (writer && rc == SQLITE_OK &&
	    flags == (SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE)) {
		w->locked = 1;
		w->through = 0;
		w->commit = 0;
		w->failed = 0;
		w->failed_errno = 0;
		w->end = 0;
	}
	return rc;
}

static int
db_close(sqlite3_file *f)
{
	struct db	*d = (struct db *)f;

	/* SQLite closes the log first; were it not, nothing of it is held
	 * without the lock. */
	if (d->wal != NULL) {
		d->wal->len = 0;
		d->wal->locked = 0;
		d->wal->db = NULL;
	}
	return REAL_IO(d)->xClose(REAL(d));
}

/* The rest as the root's file does them. */
static int
fwd_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	return REAL_IO(f)->xRead(REAL(f), p, amt, off);
}

static int
fwd_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	return REAL_IO(f)->xWrite(REAL(f), p, amt, off);
}

static int
fwd_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL_IO(f)->xTruncate(REAL(f), size);
}

static int
fwd_sync(sqlite3_file *f, int flags)
{
	return REAL_IO(f)->xSync(REAL(f), flags);
}

static int
fwd_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL_IO(f)->xFileSize(REAL(f), size);
}

static int
fwd_lock(sqlite3_file *f, int l)
{
	return REAL_IO(f)->xLock(REAL(f), l);
}

static int
fwd_unlock(sqlite3_file *f, int l)
{
	return REAL_IO(f)->xUnlock(REAL(f), l);
}

static int
fwd_reserved(sqlite3_file *f, int *out)
{
	return REAL_IO(f)->xCheckReservedLock(REAL(f), out);
}

static int
fwd_control(sqlite3_file *f, int op, void *arg)
{
	return REAL_IO(f)->xFileControl(REAL(f), op, arg);
}

static int
fwd_sector(sqlite3_file *f)
{
	return REAL_IO(f)->xSectorSize(REAL(f));
}

static int
fwd_device(sqlite3_file *f)
{
	return REAL_IO(f)->xDeviceCharacteristics(REAL(f));
}

static int
fwd_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **p)
{
	const sqlite3_io_methods *io = REAL_IO(f);

	if (io->iVersion < 2 || io->xShmMap == NULL)
		return SQLITE_IOERR_SHMMAP;
	return io->xShmMap(REAL(f), pg, pgsz, extend, p);
}

static void
fwd_shm_barrier(sqlite3_file *f)
{
	const sqlite3_io_methods *io = REAL_IO(f);

	if (io->iVersion >= 2 && io->xShmBarrier != NULL)
		io->xShmBarrier(REAL(f));
}

static int
fwd_shm_unmap(sqlite3_file *f, int del)
{
	const sqlite3_io_methods *io = REAL_IO(f);

	if (io->iVersion < 2 || io->xShmUnmap == NULL)
		return SQLITE_OK;
	return io->xShmUnmap(REAL(f), del);
}

static int
fwd_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **p)
{
	const sqlite3_io_methods *io = REAL_IO(f);

	*p = NULL;
	if (io->iVersion < 3 || io->xFetch == NULL)
		return SQLITE_OK;
	return io->xFetch(REAL(f), off, amt, p);
}

static int
fwd_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	const sqlite3_io_methods *io = REAL_IO(f);

	if (io->iVersion < 3 || io->xUnfetch == NULL)
		return SQLITE_OK;
	return io->xUnfetch(REAL(f), off, p);
}

/*
 * Main databases and their logs are ours, the root's file inside
 * (a log paired with its database, sqlite3_database_file_object());
 * every other file is the root's own, in the room we were given.
 */
static int
vfs_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags,
    int *out)
{
	struct shim	*s = (struct shim *)f;
	sqlite3_file	*dbf;
	size_t		 size;
	int		 rc;

	(void)v;
	if (flags & SQLITE_OPEN_WAL)
		size = ROOM(struct wal);
	else if (flags & SQLITE_OPEN_MAIN_DB)
		size = ROOM(struct db);
	else
		return root->xOpen(root, name, f, flags, out);
	memset(f, 0, size);
	s->real = (sqlite3_file *)((char *)f + size);
	if ((rc = root->xOpen(root, name, s->real, flags, out)) != SQLITE_OK)
		return rc;
	if (flags & SQLITE_OPEN_MAIN_DB) {
		f->pMethods = &db_io;
		return SQLITE_OK;
	}
	f->pMethods = &wal_io;
	dbf = sqlite3_database_file_object(name);
	if (dbf != NULL && dbf->pMethods == &db_io &&
	    ((struct db *)dbf)->wal == NULL) {
		((struct db *)dbf)->wal = (struct wal *)f;
		((struct wal *)f)->db = (struct db *)dbf;
	}
	return SQLITE_OK;
}

static void
io_init(sqlite3_io_methods *io, int version)
{
	io->iVersion = version;
	io->xRead = fwd_read;
	io->xWrite = fwd_write;
	io->xTruncate = fwd_truncate;
	io->xSync = fwd_sync;
	io->xFileSize = fwd_size;
	io->xLock = fwd_lock;
	io->xUnlock = fwd_unlock;
	io->xCheckReservedLock = fwd_reserved;
	io->xFileControl = fwd_control;
	io->xSectorSize = fwd_sector;
	io->xDeviceCharacteristics = fwd_device;
	io->xShmMap = fwd_shm_map;
	io->xShmLock = NULL;
	io->xShmBarrier = fwd_shm_barrier;
	io->xShmUnmap = fwd_shm_unmap;
	io->xFetch = fwd_fetch;
	io->xUnfetch = fwd_unfetch;
}

static void
vfs_init(void)
{
	if ((root = sqlite3_vfs_find(NULL)) == NULL)
		return;
	vfs = *root;
	vfs.zName = WALVFS_NAME;
	vfs.szOsFile = (int)ROOM(struct wal) + root->szOsFile;
	vfs.pNext = NULL;
	vfs.xOpen = vfs_open;
	io_init(&db_io, 3);
	db_io.xClose = db_close;
	db_io.xShmLock = db_shm_lock;
	/* A log is never mapped, nor has shared memory of its own. */
	io_init(&wal_io, 1);
	wal_io.xClose = wal_close;
	wal_io.xRead = wal_read;
	wal_io.xWrite = wal_write;
	wal_io.xTruncate = wal_truncate;
	wal_io.xSync = wal_sync;
	wal_io.xFileSize = wal_size;
	registered = sqlite3_vfs_register(&vfs, 0);
}

const char *
walvfs_name(void)
{
	pthread_once(&once, vfs_init);
	return registered == SQLITE_OK ? WALVFS_NAME : NULL;
}

void
walvfs_fail_next_flush(int rc)
{
	fail_next = rc;
}

int
walvfs_errno(sqlite3 *db)
{
	sqlite3_file	*f = NULL;

	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
	    &f) != SQLITE_OK || f == NULL || f->pMethods != &wal_io)
		return 0;
	return ((struct wal *)f)->failed_errno;
}

int
walvfs_writes(sqlite3_file *f)
{
	return f->pMethods == &wal_io ? ((struct wal *)f)->written : -1;
}
