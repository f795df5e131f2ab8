/*
 * SQLite's own VFS (unix), but that the frames of a transaction go to
 * its write-ahead log in one write: see walvfs.h.
 */
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

struct wal {
	sqlite3_file	 base;		/* pMethods: wal_io */
	sqlite3_file	*real;		/* the root VFS's file, after this */
	char		*buf;
	sqlite3_int64	 off;		/* where buf[0] goes */
	int		 len;
	int		 commit;	/* in a commit frame, after its header */
	int		 written;	/* writes made, for the tests */
};

static sqlite3_vfs		*root;
static sqlite3_vfs		 vfs;
static sqlite3_io_methods	 wal_io;
static pthread_once_t		 once = PTHREAD_ONCE_INIT;
static int			 registered = SQLITE_ERROR;

/* Writes what is gathered. On failure it is dropped: SQLite undoes
 * the transaction that a failed write belongs to. */
static int
flush(struct wal *w)
{
	int	 rc = SQLITE_OK;

	if (w->len > 0) {
		rc = w->real->pMethods->xWrite(w->real, w->buf, w->len,
		    w->off);
		w->written++;
	}
	w->len = 0;
	return rc;
}

static int
wal_close(sqlite3_file *f)
{
	struct wal	*w = (struct wal *)f;
	int		 rc = flush(w), rc2;

	rc2 = w->real->pMethods->xClose(w->real);
	sqlite3_free(w->buf);
	w->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
wal_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	struct wal	*w = (struct wal *)f;
	int		 rc;

	if ((rc = flush(w)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xRead(w->real, p, amt, off);
}

/*
 * SQLite writes a transaction's frames one after another, each as its
 * header and then its page; the last frame's header names the size of
 * the database after the commit (non-zero only there). Other
 * connections see the commit only once SQLite has written the log's
 * index in shared memory, after this returns for the commit frame's
 * page: the frames are held until that page has come, and go then, in
 * one write whose failure is the commit's. Anything else (a write
 * elsewhere, a read, a sync, the end) sends what is held first.
 */
static int
wal_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	struct wal		*w = (struct wal *)f;
	const unsigned char	*h = p;
	int			 rc;

	if (amt == FRAME_HDR)
		w->commit = (h[4] | h[5] | h[6] | h[7]) != 0;
	if (w->len > 0 && (off != w->off + w->len ||
	    amt > WALVFS_BUF - w->len) && (rc = flush(w)) != SQLITE_OK)
		return rc;
	if (w->buf == NULL)
		w->buf = sqlite3_malloc(WALVFS_BUF);
	if (amt > WALVFS_BUF || w->buf == NULL) {
		w->written++;
		return w->real->pMethods->xWrite(w->real, p, amt, off);
	}
	if (w->len == 0)
		w->off = off;
	memcpy(w->buf + w->len, p, (size_t)amt);
	w->len += amt;
	/* The commit frame's page (all of it, should it come in pieces). */
	return w->commit && amt != FRAME_HDR ? flush(w) : SQLITE_OK;
}

static int
wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct wal	*w = (struct wal *)f;
	int		 rc;

	if ((rc = flush(w)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xTruncate(w->real, size);
}

static int
wal_sync(sqlite3_file *f, int flags)
{
	struct wal	*w = (struct wal *)f;
	int		 rc;

	if ((rc = flush(w)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xSync(w->real, flags);
}

static int
wal_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct wal	*w = (struct wal *)f;
	int		 rc;

	if ((rc = flush(w)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xFileSize(w->real, size);
}

/* The rest as the root's file does them. */
static int
wal_lock(sqlite3_file *f, int l)
{
	struct wal	*w = (struct wal *)f;

	return w->real->pMethods->xLock(w->real, l);
}

static int
wal_unlock(sqlite3_file *f, int l)
{
	struct wal	*w = (struct wal *)f;

	return w->real->pMethods->xUnlock(w->real, l);
}

static int
wal_reserved(sqlite3_file *f, int *out)
{
	struct wal	*w = (struct wal *)f;

	return w->real->pMethods->xCheckReservedLock(w->real, out);
}

static int
wal_control(sqlite3_file *f, int op, void *arg)
{
	struct wal	*w = (struct wal *)f;
	int		 rc;

	if ((rc = flush(w)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xFileControl(w->real, op, arg);
}

static int
wal_sector(sqlite3_file *f)
{
	struct wal	*w = (struct wal *)f;

	return w->real->pMethods->xSectorSize(w->real);
}

static int
wal_device(sqlite3_file *f)
{
	struct wal	*w = (struct wal *)f;

	return w->real->pMethods->xDeviceCharacteristics(w->real);
}

static int
vfs_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags,
    int *out)
{
	struct wal	*w = (struct wal *)f;
	int		 rc;

	(void)v;
	/* Every other file is the root's own, in the room we were given
	 * (ours is larger). */
	if ((flags & SQLITE_OPEN_WAL) == 0)
		return root->xOpen(root, name, f, flags, out);
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)(w + 1);
	if ((rc = root->xOpen(root, name, w->real, flags, out)) != SQLITE_OK)
		return rc;
	w->base.pMethods = &wal_io;
	return SQLITE_OK;
}

static void
vfs_init(void)
{
	if ((root = sqlite3_vfs_find(NULL)) == NULL)
		return;
	vfs = *root;
	vfs.zName = WALVFS_NAME;
	vfs.szOsFile = (int)sizeof(struct wal) + root->szOsFile;
	vfs.pNext = NULL;
	vfs.xOpen = vfs_open;
	wal_io.iVersion = 1;
	wal_io.xClose = wal_close;
	wal_io.xRead = wal_read;
	wal_io.xWrite = wal_write;
	wal_io.xTruncate = wal_truncate;
	wal_io.xSync = wal_sync;
	wal_io.xFileSize = wal_size;
	wal_io.xLock = wal_lock;
	wal_io.xUnlock = wal_unlock;
	wal_io.xCheckReservedLock = wal_reserved;
	wal_io.xFileControl = wal_control;
	wal_io.xSectorSize = wal_sector;
	wal_io.xDeviceCharacteristics = wal_device;
	registered = sqlite3_vfs_register(&vfs, 0);
}

const char *
walvfs_name(void)
{
	pthread_once(&once, vfs_init);
	return registered == SQLITE_OK ? WALVFS_NAME : NULL;
}

int
walvfs_writes(sqlite3_file *f)
{
	return f->pMethods == &wal_io ? ((struct wal *)f)->written : -1;
}
