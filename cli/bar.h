/*
 * The live bar of watch and start --follow: what a task looks like now,
 * kept from its events, and the one line drawn from it. Pure: the
 * caller writes the line (watch.c), so that the text can be tested.
 */
#ifndef HG_CLI_BAR_H
#define HG_CLI_BAR_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define BAR_CELLS	20	/* width of [####....] inside the brackets */
#define BAR_TEXT_MAX	256	/* bytes kept of a message or a summary */

struct bar {
	int64_t	 id;
	char	 state[16];
	double	 percent;		/* -1 until a progress is known */
	char	 message[BAR_TEXT_MAX];
	char	 data[BAR_TEXT_MAX];	/* the newest data item, summed up */
	char	 error[BAR_TEXT_MAX];	/* "code: message", or "" */
	int64_t	 started_ms;		/* 0 until it starts */
	int64_t	 finished_ms;		/* 0 until it ends */
};

void	bar_init(struct bar *b, int64_t id);
/* Takes what a task object says (a state event's data, GET's answer). */
void	bar_task(struct bar *b, const cJSON *task);
/* Takes a progress event's data, or a task's "progress". */
void	bar_progress(struct bar *b, const cJSON *p);
/* Takes a data event's data: {"task", "name", "data"}. */
void	bar_data(struct bar *b, const cJSON *d);
/* 1 if the state is final: succeeded, failed, canceled or lost. */
int	bar_ended(const struct bar *b);

/*
 * Writes the bar as one line of at most width characters (no CR, no
 * newline) into out (len bytes, NUL-terminated): id, state, the bar,
 * percent, elapsed time, an estimate of the time left while running,
 * the message and the newest data item; once ended, the end state and
 * its error instead of the estimate. An ended task's line is never cut:
 * its bar narrows to fit width, down to none, and past that the line is
 * longer than width (the last line, left for the terminal to wrap).
 * now_ms: the wall clock.
 */
void	bar_format(const struct bar *b, int64_t now_ms, size_t width,
	    char *out, size_t len);

/* Reads "2026-11-24T20:05:40.123Z" as ms since the epoch; 0 if it is
 * not one. */
int64_t	bar_time(const char *s);

#endif
