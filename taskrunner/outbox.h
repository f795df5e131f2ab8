/*
 * What a running task reports, and when: progress coalesced to one write
 * every HG_PROGRESS_MS at most (the first at once, the last always), log
 * lines to the task's log file and, in batches, to log events, data
 * items in the same batches (one queue, so that items and log lines keep
 * the order they came in), the result (last wins), and the stop flag, read from the database at most every HG_STOP_POLL_MS. Each
 * write is one transaction, followed by a datagram that nudges the
 * server. The kinds (builtin, command) report here; nothing here calls
 * them back.
 */
#ifndef HG_OUTBOX_H
#define HG_OUTBOX_H

#include <signal.h>
#include <stdint.h>

#include "config.h"
#include "hg.h"
#include "store.h"
#include "taskfiles.h"


struct outbox {
	/* Borrowed from the runner (outbox_init); callers may read. */
	const struct config *cfg;
	struct store	*st;
	int		 notify_fd;
	int64_t		 id;		/* the task (outbox_begin) */
	/* Progress not yet written, and when the last write was. */
	struct progress	 cur;
	char		 msg[HG_MSG_MAX];
	int		 pending;
	int64_t		 last_write;	/* monotonic ms; 0: never */
	int64_t		 next_stop_check;
	/* The log: a file, capped; its lines also become log events. */
	struct taskfiles_log log;	/* opened with the first line */
	int		 log_opened;
	/* Log lines and data items not yet written, in order; a data
	 * item's name and value are one allocation, at name. A batch
	 * holds HG_RUNNER_LOG_BATCH, and more only while a write fails:
	 * the lines of one read of the command's output. */
	struct logline	*lines;
	size_t		 nlines, cap;
	size_t		 filed;		/* of them in the log file already */
	size_t		 nbytes;	/* of the items' values among them */
	long long	 data_bytes;	/* of the task's items so far */
	int		 data_full;	/* past HOURGLASS_DATA_MAX: drop */
	char		*result;	/* not yet written, or NULL */
	int64_t		 result_due;	/* monotonic ms (HG_RESULT_MS) */
	/* A write failed (a full disk, a lock held): what it held is kept
	 * and tried again at retry_at, backing off; 0 when none failed. */
	int64_t		 retry_at;	/* monotonic ms */
	int64_t		 backoff;
	int64_t		 stalled_since;
};

/* Borrows cfg, st and notify_fd (-1: none) for every task to come; they
 * must outlive ob. Can't fail. */
void	outbox_init(struct outbox *ob, const struct config *cfg,
	    struct store *st, int notify_fd);
/* Forgets what the last task left (progress, log, stop) and reports for
 * task id from now on, its total unknown. */
void	outbox_begin(struct outbox *ob, int64_t id);
/* Closes the task's log file; whatever is unsent stays (outbox_unsent). */
void	outbox_end(struct outbox *ob);
/* Frees what ob holds; for a runner that ends. */
void	outbox_free(struct outbox *ob);

/* Reports progress; written at once after a quiet spell, else at most
 * every HG_PROGRESS_MS. msg may be NULL (keeps the last message). */
void	outbox_progress(struct outbox *ob, double value, double total,
	    const char *msg);
/* Reports the task's last progress: it is not written now but with the
 * end, in the end's transaction (outbox_unsent). */
void	outbox_progress_last(struct outbox *ob, double value, double total);
/* Sets the message that goes with the final progress, written at the
 * next flush. Copies msg. */
void	outbox_message(struct outbox *ob, const char *msg);
/* Appends a line (valid UTF-8) to the log file and the log events. */
void	outbox_log(struct outbox *ob, const char *stream, const char *line);
/* Counts the data items that earlier attempts of the task (or its
 * last runner) left: the cap is the task's, and its one log line is
 * not said again once it was. */
void	outbox_data_used(struct outbox *ob, long long bytes, int full);
/* Queues a data item (name and len bytes of compact JSON value, both
 * copied), written with the log lines around it. */
void	outbox_data(struct outbox *ob, const char *name, const char *value,
	    size_t len);
/* Sets the task's result (len bytes of JSON text, copied); the last one
 * set is written with the next batch, or with the end. */
void	outbox_result(struct outbox *ob, const char *value, size_t len);
/* The result still unwritten, to go with the end (store_task_finish);
 * the caller frees it. NULL if none. */
char	*outbox_take_result(struct outbox *ob);
/* Writes pending progress and log lines if their time has come (all, if
 * force). Returns the monotonic ms of the next write due, or INT64_MAX. */
int64_t	outbox_flush(struct outbox *ob, int force);
/* Writes pending log lines and data items at once, before the end;
 * progress stays pending, to go with the end. Returns 0, or -1 with e
 * set: they are kept, to try again. */
int	outbox_flush_output(struct outbox *ob, struct hg_err *e);
/* 1 while a batch is full and cannot be written: the command's output
 * is left unread until it is, so that nothing read is dropped. */
int	outbox_stalled(const struct outbox *ob);
/* For a reader with nothing else to wait for: sleeps until a failed
 * write's next try, and makes it. */
void	outbox_idle(struct outbox *ob);
/* Progress that is still unwritten, to go with the end; NULL if none.
 * Borrowed from ob. */
const struct progress *outbox_unsent(const struct outbox *ob);

/* The task's timeout_s has run out: it becomes stopping
 * (store_task_timing_out), in one write; what is pending goes at the
 * next flush. If that cannot be written, the task goes on to its end
 * all the same, from running. */
void	outbox_timed_out(struct outbox *ob);
/* 1 if a stop was asked: by signal, or by the stop flag, which is read
 * from the database at most every HG_STOP_POLL_MS. */
int	outbox_stop_asked(struct outbox *ob);
/* The monotonic ms when outbox_stop_asked() reads the flag next: a wait
 * should end by then. */
int64_t	outbox_stop_due(const struct outbox *ob);
/*
 * Sleeps until the monotonic deadline, waking early to flush and to look
 * at the stop flag; unblocked is the signal mask inside the wait (see
 * signals_init). Returns 1 when a stop was asked, else 0.
 */
int	outbox_wait(struct outbox *ob, int64_t deadline,
	    const sigset_t *unblocked);

#endif
