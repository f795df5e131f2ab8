/*
 * Limits and the error record shared by every module.  Each limit that a
 * client can run into is named here, once (OpenBSD httpd.h).
 */
#ifndef HG_H
#define HG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HG_BODY_MAX		65536	/* bytes of a request body */
#define HG_JSON_DEPTH_MAX	32	/* nesting of arrays and objects */
#define HG_NAME_MAX		200	/* bytes of a task's "name" */
#define HG_AFTER_MAX		32	/* ids in a create's "after" */
/* Bytes of a schedule's "cron" and "timezone": the longest IANA name
 * is about 30 bytes, and a cron line past 256 is no schedule a person
 * wrote. */
#define HG_CRON_MAX		256
#define HG_TZ_NAME_MAX		64
#define HG_LIST_DEFAULT		50	/* tasks in a list page */
#define HG_LIST_MAX		500
#define HG_ID_MAX		INT64_MAX
#define HG_PING_MS		15000	/* SSE comment on an idle stream */
#define HG_RETRY_MS		2000	/* SSE "retry:" sent to clients */
#define HG_PROGRESS_MS		50	/* one progress write per task, at most */
/* One result written per task while it runs, at most, the last always
 * with the end: each is a state event with the whole task and a result
 * of up to 64 KiB, and retention keeps state events. */
#define HG_RESULT_MS		1000
#define HG_STOP_POLL_MS		1000	/* runner re-reads the stop flag */
#define HG_FEED_POLL_MS		1000	/* server re-reads events unasked */
#define HG_FEED_RING		8192	/* recent events kept in memory */
/* ... and at most this many bytes of them: a data event may be 64 KiB,
 * and 8,192 of those would be 512 MiB. A stream further behind reads
 * the rest from SQLite, as it does past HG_FEED_RING. Progress and log
 * frames are a few hundred bytes, so in use it is HG_FEED_RING that
 * bounds. */
#define HG_FEED_RING_BYTES	(16 * 1024 * 1024)
/* ... and, once no event has come for HG_FEED_POLL_MS, only this many:
 * a busy hour's frames would otherwise stay for as long as the server
 * is idle, megabytes of them. */
#define HG_FEED_RING_IDLE	256
#define HG_FEED_BATCH		512	/* events read in one query */
/* Requests in flight on connection threads; an open stream is one only
 * while it opens (then its loop has it: HG_STREAMS_MAX). */
#define HG_REQUESTS_MAX		10000
#define HG_POOL_MAX		8	/* SQLite connections for requests */
#define HG_BUSY_MS		5000	/* SQLite busy timeout */
/* How long /api/health reports a database that failed to be written
 * (full, read-only, an I/O error) after the last failure, unless a write
 * commits sooner: past it, with no write tried, it knows of none. */
#define HG_DB_FAILING_MS	30000
#define HG_MSG_MAX		1024	/* bytes of a progress message */
/* Largest progress value or total taken: beyond, a double counts in
 * steps; a line past it is not progress but a log line. */
#define HG_PROGRESS_NUM_MAX	1e15
#define HG_TAIL_MAX		10000	/* lines of GET .../log?tail=N */
#define HG_LINE_MAX		16384	/* bytes of a log line; more is cut */
/* Bytes of a line that starts with '{': a data item or a result of
 * HG_DATA_ITEM_MAX with its envelope and some room fits, read whole;
 * more is cut (and then is no JSON, so a log line). Twice the item, so
 * that a 64 KiB value whose escapes or padding grow the line still fits. */
#define HG_JSON_LINE_MAX	131072
/* Bytes of one data item's value or of a result, serialized: an event
 * is sent whole to every watcher and kept in the feed's memory, so one
 * item must stay small; more data is more items. */
#define HG_DATA_ITEM_MAX	65536
/* Bytes of a data item's name, by its pattern ^[A-Za-z][A-Za-z0-9_.-]{0,63}$:
 * short enough to quote in a log line and to filter by in a query. */
#define HG_DATA_NAME_MAX	64
/* Bytes of a report's body: a data item or result of HG_DATA_ITEM_MAX
 * fits with room for log lines; nginx.conf says the same for reports. */
#define HG_REPORT_BODY_MAX	(1024 * 1024)
/* Items in one page of GET .../data (?limit=, default 100). */
#define HG_DATA_PAGE_DEFAULT	100
#define HG_DATA_PAGE_MAX	1000
/* ... and a page stops after the item that takes it past this many
 * bytes, with "next" set: 1,000 items of 64 KiB would be 64 MiB built
 * on one request thread. */
#define HG_DATA_PAGE_BYTES	(4 * 1024 * 1024)
/*
 * <data>/runner.log, the runners' own diagnostics (lib/runlog.h): past
 * HOURGLASS_RUNNER_LOG_MAX bytes (this by default) it becomes
 * runner.log.1, and the one before goes, so that a runner warning in a
 * loop cannot fill the disk; the newest lines are what a reader needs.
 */
#define HG_RUNNER_LOG_MAX	(4LL * 1024 * 1024)
/* Bytes of one diagnostic line, '\n' included; more is cut with "...".
 * Also the least HOURGLASS_RUNNER_LOG_MAX, so a line fits in a file. */
#define HG_RUNNER_LOG_LINE	2048
/* In a runner and the runner host: the server's own stderr, handed down
 * at each spawn (launch.c) and through the host's fork, for what a full
 * data disk must not swallow (taskrunner/warn.c). */
#define HG_SERVER_ERR_FD	3
/*
 * kinds.json, checked at start: a kind past these is refused there with
 * its name and the field, never cut later.
 */
/* Read whole into memory by the server and by every runner; real files
 * are a few KiB. */
#define HG_KINDS_FILE_MAX	(4 * 1024 * 1024)
/* Bytes of a kind's, a parameter's or an env variable's name: each is
 * quoted whole in messages and makes HOURGLASS_PARAM_<name>. */
#define HG_KIND_NAME_MAX	64
/* Bytes of the rule a refused parameter states: "must match <pattern>",
 * "must be one of <choices>". A pattern or choices longer are refused,
 * so that a 422 states the whole rule after "params.<name>: ". */
#define HG_KIND_RULE_MAX	384
/* timeout_s: ~31 years, so deadlines in ms stay far from INT64_MAX. */
#define HG_KIND_TIMEOUT_MAX_S	1e9
/* grace_s: a stop must end; an hour is ample for any clean-up. */
#define HG_KIND_GRACE_MAX_S	3600
/* max_running: an int, and more than any machine runs at once. */
#define HG_KIND_RUNNING_MAX	1000000
/* while_watched_s: a watcher gone a day is not coming back. */
#define HG_KIND_WATCH_MAX_S	86400
/* heartbeat_s: a week of silence is a lost task, whatever the work. */
#define HG_KIND_HEARTBEAT_MAX_S	(86400 * 7)
/* How often a runner asks squeue of its task's Slurm job and reads the
 * job's output: about once a second, as the contract says. */
#define HG_SLURM_POLL_MS	1000
/* An sbatch that could not reach slurmctld is tried again after this,
 * doubled each time up to HG_SLURM_RETRY_MAX_MS, for as long as it takes:
 * the task waits queued, as for a job that Slurm holds back. */
#define HG_SLURM_RETRY_MS	1000
#define HG_SLURM_RETRY_MAX_MS	30000
/* slurm.options: sbatch options of one kind, and bytes of one; real
 * kinds give a partition, an account, a few resources. */
#define HG_KIND_SLURM_OPTS_MAX	64
#define HG_KIND_SLURM_OPT_MAX	1024
/* retries: attempts after the first; more is a loop, not a retry. */
#define HG_KIND_RETRIES_MAX	100
/* retry_delay_s and retry_delay_max_s: a day between attempts at most. */
#define HG_KIND_RETRY_DELAY_MAX_S	86400
/* Running tasks read in one query by the lost-runner check, which
 * pages through all of them by id: this bounds its memory, not how many
 * it sees (it read at most 1,024 and missed the rest). */
#define HG_RUNNERS_BATCH	256
/*
 * The queue's picker has no limit of its own. It looked at 256 kinds and
 * the 1,024 oldest queued tasks a pass, so that tasks of a kind at its
 * max_running could hide every other kind behind them; it now reads each
 * kind with tasks waiting through an index, at most that kind's room
 * (lib/store/queue.c).
 */
/* Tasks store_thin() thins in one call; a larger cap is cut to this. */
#define HG_THIN_BATCH		64
/*
 * hourglass-fcgi's threads and shutdown.
 */
/* Stack of the connection threads (the feed, the janitor and the
 * stream loops keep the default): SQLite needs well under this, and
 * there is one for each connection nginx keeps. */
#define HG_THREAD_STACK		(256 * 1024)
/* Threads on nginx's connections: more than nginx keeps open (64 per
 * worker, a worker per core: nginx.conf), or at the cap no thread would
 * be left in accept() for a new connection, which then waits in the
 * listen backlog until a thread is free. */
#define HG_CONN_THREADS_MAX	4096
/* A kept connection idle this long gives back what its thread touched
 * of its stack, and the first to go idle after requests trims the heap
 * and the pooled SQLite connections' caches: a busy connection never
 * pays for it, and the server idles small after a burst. */
#define HG_IDLE_RELEASE_MS	1000
/* Threads kept waiting in accept(): one more is started whenever none
 * is left, so two cover a burst while it starts. */
#define HG_CONN_SPARE		2
/* Connections the kernel queues before a thread accepts them; nginx
 * retries past it with a 502. */
#define HG_LISTEN_BACKLOG	1024
/* At SIGTERM, how long requests in flight may take to end: longer than
 * any request but a stream (streams end with the feed) takes, short
 * enough that a restart is quick. */
#define HG_DRAIN_MS		5000
/*
 * hourglass-fcgi's feed and streams.
 */
/* Bytes a stream copies out of the ring in one round: the lock is held
 * while it copies, so a slow stream never holds it long. The rest goes
 * in the next round. */
#define HG_STREAM_CHUNK		65536
/* Events a stream reads from SQLite in one query while it catches up;
 * it pages on through the rest. */
#define HG_CATCHUP_BATCH	256
/* Threads that serve every open stream, each an epoll loop over its
 * share: a stream is a socket and a cursor, not a thread, so 10,000
 * watchers cost descriptors and a few hundred bytes each. */
#define HG_SSE_LOOPS		2
/* Descriptors kept for everything but streams (SQLite's files, runners'
 * pipes, the webhook sender, requests in flight), and HG_FD_PER_CORE
 * more a core for the connections that each nginx worker keeps
 * (nginx.conf: worker_processes auto, keepalive 64): streams may use
 * the rest of RLIMIT_NOFILE (sse_fd_reserve), and a stream past that is
 * refused with 503 while creates, reads and stops go on. */
#define HG_FD_RESERVE		256
#define HG_FD_PER_CORE		64
#define HG_FD_CORES		16	/* counted for HG_FD_PER_CORE, at most */
/* A connection thread that finds no descriptor to accept with, and
 * another thread using the spare one (main.c), waits this long. */
#define HG_FD_WAIT_MS		50
/* Streams open at once, whatever the descriptors allow. */
#define HG_STREAMS_MAX		100000
/* Streams the server means to hold: fewer, for want of descriptors, is
 * said at start. */
#define HG_STREAMS_WANT		10000
/* Seconds a stream refused for want of room is told to wait. */
#define HG_STREAMS_RETRY_S	5
/* How long the time a task's last watcher left is remembered: longer
 * than HG_KIND_WATCH_MAX_S would not matter to any while_watched_s;
 * an hour bounds the table by the tasks watched in an hour. */
#define HG_WATCH_KEEP_MS	(3600 * 1000LL)
/* GET /api/tasks answers kept at once (one a filter), least recently
 * used replaced: a page and a few polls share a handful of filters. */
#define HG_LISTCACHE_SLOTS	8
/* A larger list answer is not kept: it is rare, and a copy is made for
 * every answer served from the cache. */
#define HG_LISTCACHE_BODY_MAX	(256 * 1024)
/* Tasks' objects kept for list pages (objcache.h): a slot a task, by
 * id, so the newest 1,024 tasks fit; at most this many bytes in all,
 * past which no more are kept until a slot's new task takes an old
 * one's room (a page of 50 is about 18 KiB); none larger than OBJ_MAX,
 * which big params or a big result make. A page
 * whose snapshot is more than SCAN events past what the cache has
 * seen drops all, rather than reading which tasks those were. */
#define HG_OBJCACHE_SLOTS	1024
#define HG_OBJCACHE_BYTES	(512 * 1024)
#define HG_OBJCACHE_OBJ_MAX	8192
#define HG_OBJCACHE_SCAN	256
/* Bytes of a log read and sent at once by GET .../log: on a request
 * thread's stack (HG_THREAD_STACK), in a frame of its own, never beside
 * taskfiles' tail block. */
#define HG_LOG_CHUNK		65536
/* The Idempotency-Key header, printable ASCII; longer is a 400. */
#define HG_IDEM_KEY_MAX		200
/* Bytes of HOURGLASS_CORS_ORIGINS: a few dozen origins. Each listed
 * origin costs a compare on every API answer. */
#define HG_CORS_MAX		4096
/* Bytes of HOURGLASS_WEBHOOK_URL and of HOURGLASS_WEBHOOK_SECRET (each
 * with its NUL): a URL past 2 KiB is refused by many servers anyway. */
#define HG_HOOK_URL_MAX		2048
#define HG_HOOK_SECRET_MAX	256
/*
 * hourglass-fcgi's webhook sender (fcgi/webhook.c). One attempt at a
 * time, so a dead receiver costs a thread of its own and nothing else.
 */
#define HG_HOOK_TIMEOUT_MS	10000	/* an attempt, connect to answer */
#define HG_HOOK_BACKOFF_MAX_MS	600000	/* a retry waits at most this */
#define HG_HOOK_GIVEUP_MS	(24 * 3600 * 1000LL)	/* then failed */
/* Pending deliveries read at once; the rest come in the next read. */
#define HG_HOOK_BATCH		16
/* The sender looks at the table this often unasked: a nudge lost, or
 * a row edited by hand, costs at most this. */
#define HG_HOOK_POLL_MS		1000
/* Deliveries GET /api/webhooks/deliveries answers, newest first. */
#define HG_HOOK_LIST_MAX	500
/* Seconds a browser keeps a preflight's answer (Chromium caps at 600). */
#define HG_CORS_MAX_AGE_S	600
/*
 * hourglass-fcgi's janitor. Each batch bounds one pass's memory or
 * transaction; what is left is taken in the next pass or page, never
 * dropped.
 */
#define HG_JANITOR_MS		1000	/* a pass unasked; retention's pace */
/* A launched runner must take its task by then, or the task goes back
 * to the queue: a runner starts in milliseconds unless it failed. */
#define HG_UNCLAIMED_MS		10000
/* Sessions of dead runners being ended at once (TERM, then KILL after
 * grace_s); more wait, their tasks still running, for a slot. A slot not
 * looked at for HG_REAP_STALE_MS (its task ended some other way) is
 * taken back. Of a session's process groups, the first HG_REAP_GROUPS
 * found are signalled at a pass: one with more made groups by the
 * dozen, and the rest have their SIGKILL at later passes. */
#define HG_REAP_MAX		64
#define HG_REAP_STALE_MS	10000
#define HG_REAP_GROUPS		64
/* A task's progress events are kept whole this long, then thinned: a
 * page that resumes after an hour needs only the newest. */
#define HG_THIN_AFTER_MS	(3600 * 1000LL)
/* Tasks thinned in one pass (capped again by HG_THIN_BATCH). */
#define HG_THIN_PASS		16
/* Tasks pruned (deleted past retain_days) in one transaction. */
#define HG_PRUNE_BATCH		200
/* Tended tasks (watched, external) read at once; it pages on. */
#define HG_TEND_BATCH		256
/* Retrying tasks made queued in one transaction, when their retry_at
 * has come; the rest are already due at the next pass, which then comes
 * at once. */
#define HG_PROMOTE_BATCH	64
/* Kicked passes come at most this often: every task that ends kicks,
 * and at hundreds a second passes that close would only contend for
 * the write lock. */
#define HG_KICK_GAP_MS		20
/*
 * Starting runners, and the runners themselves. A batch bounds memory
 * or a message; what is left goes in the next, never dropped.
 */
/* Task ids in one datagram to the runner host; more go in several. */
#define HG_HOST_BATCH		64
/* How long a sender waits while the host's queue is full before it
 * starts the runner itself (posix_spawn). */
#define HG_HOST_SEND_MS		100
/* How long the server waits for a new host to take ids; without one,
 * runners are started by posix_spawn. */
#define HG_HOST_READY_MS	5000
/* Runners the host keeps a channel to (its poll set). A runner forked
 * past it runs its task and ends instead of coming back: more tasks
 * still run at once, each with a fork of its own. */
#define HG_HOST_KEPT_MAX	512
/* An idle runner is let go after this, all but the last: a lull ends
 * the runners a busy spell needed. */
#define HG_HOST_IDLE_MS		10000
/* Tasks one forked runner runs before it ends: whatever a long life
 * gathers (SQLite's page cache, a fragmented heap) is given back. */
#define HG_RUNNER_TASKS		1000
/* A kept runner idle this long gives back what its last tasks grew
 * (SQLite's page cache, the heap): not after each task, as a busy one
 * would only fault the same pages in again for the next. 200 ms was
 * about the wait between tasks of 64 runners kept busy (README.md). */
#define HG_RUNNER_RELEASE_MS	1000
/* Log lines a runner writes in one transaction; more go in the next. */
#define HG_RUNNER_LOG_BATCH	512
/* Bytes of data items a runner holds before it writes them, whatever
 * their number: 512 items of 64 KiB would be 32 MiB in a runner. */
#define HG_RUNNER_DATA_BATCH	(1024 * 1024)
/* hg_malloc_keep(): blocks up to this come from the heap (a data page's
 * answer, a runner's data batch), and the heap shrinks by itself past
 * HG_MALLOC_TRIM_MIN free at its top. */
#define HG_MALLOC_MAP_MIN	(4 * 1024 * 1024)
#define HG_MALLOC_TRIM_MIN	(8 * 1024 * 1024)
/* A runner that cannot record its task's end (the database full or
 * locked) tries again after this, doubling up to HG_FINISH_BACKOFF_MAX_MS,
 * for as long as it lives: the outcome is known, and only a runner that
 * died may leave its task lost. The cap bounds how long a task stays
 * running once the database can be written again. */
#define HG_FINISH_BACKOFF_MS	100
#define HG_FINISH_BACKOFF_MAX_MS	5000
/* After a command exits, how long its output is still read: whatever
 * it left running in its group may hold the pipes open. */
#define HG_DRAIN_OUTPUT_MS	1000
/* The one log line of a task whose data items reached
 * HOURGLASS_DATA_MAX (a long long). */
#define HG_DATA_CUT	"hourglass: data items reached HOURGLASS_DATA_MAX " \
	"(%lld bytes); this item and later ones are dropped"
/* The first log line of each attempt after the first (two ints). */
#define HG_ATTEMPT_LINE	"[hourglass: attempt %d of %d]"
/* The last line of a log cut at HOURGLASS_LOG_MAX (a long long). */
#define HG_LOG_CUT	"[hourglass: the log reached %lld bytes; the rest " \
	"is dropped]"

/*
 * An error for the client: HTTP status, the contract's code
 * ("invalid_params") and a message that names the input and the rule.
 */
struct hg_err {
	int	status;
	char	code[32];
	char	msg[512];
};

/* Fills e, if e is not NULL. Returns -1, so callers can
 * "return hg_err_set(...)". */
int	hg_err_set(struct hg_err *e, int status, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Milliseconds since the epoch, from CLOCK_REALTIME. */
int64_t	hg_now_ms(void);
/* Milliseconds from CLOCK_MONOTONIC, for deadlines. */
int64_t	hg_mono_ms(void);
/* Sleeps ms milliseconds whole, a signal's handler or not. */
void	hg_sleep_ms(int64_t ms);
/* How long a thread that looks every max ms sleeps to wake at at (ms
 * since the epoch; 0: nothing due): max, or less, 0 if at has come. */
int64_t	hg_wait_until(int64_t at, int64_t max);
/* Sets *ts to ms from now on clock (pthread_cond_timedwait's clock). */
void	hg_deadline(struct timespec *ts, clockid_t clock, int64_t ms);
/* Writes ms as "2026-11-24T20:05:40.123Z" into buf (at least 32 bytes). */
void	hg_iso8601(int64_t ms, char *buf, size_t len);
/*
 * Parses a canonical decimal id: 1..INT64_MAX, digits only, no sign, no
 * leading zero. Returns 0 and sets *id, or -1. Reads exactly len bytes.
 */
int	hg_parse_id(const char *s, size_t len, int64_t *id);

/*
 * Returns the start time of process pid (field 22 of /proc/<pid>/stat,
 * clock ticks since boot), or -1 if there is no such process. With the
 * pid it names one process for good: a reused pid has another start.
 */
int64_t	hg_proc_start(long pid);

/* What /proc/<pid>/stat says of a process. */
struct hg_proc {
	char	 state;		/* field 3: 'R', 'S', ..., 'Z' a zombie */
	int64_t	 pgrp;		/* field 5 */
	int64_t	 session;	/* field 6 */
	int64_t	 start;		/* field 22, as hg_proc_start() */
};
/* Fills *p for process pid. Returns 0, or -1 if there is none. */
int	hg_proc_read(long pid, struct hg_proc *p);

/* Compares n bytes in a time that does not depend on where they
 * differ. Returns 1 if equal. */
int	hg_ct_equal(const void *a, const void *b, size_t n);

struct iovec;
/* After a write of n bytes of the cnt entries at *iov: moves *iov and
 * *cnt past what went, and into the entry it stopped in. */
void	hg_iov_advance(struct iovec **iov, int *cnt, size_t n);

/* Opens /dev/null (with flags: O_RDWR, or O_RDONLY so that a write to a
 * closed stdout fails) on whichever of fds 0-2 are closed, so that no
 * file opened later becomes one of them (slowcgi). Returns 0, or -1 if
 * one could not be opened. */
int	hg_std_fds(int flags);

/*
 * Sets glibc's malloc to keep what is freed, for the program to give
 * back when idle (malloc_trim: the server's quiet threads, a runner
 * waiting for its next task). By itself it maps each block of 128 KiB
 * or more on its own and unmaps it at free, and shrinks the heap at a
 * free that leaves 128 KiB at its top. Each unmap or shrink makes the
 * kernel stop every core to flush its TLB, and the next allocation
 * faults the same pages in again: with those defaults, a fifth of a
 * runner's time over command tasks went there (perf). Blocks up to
 * HG_MALLOC_MAP_MIN come from the heap, and the heap shrinks by itself
 * only past HG_MALLOC_TRIM_MIN free at its top. Call it first in main.
 */
void	hg_malloc_keep(void);

#endif
