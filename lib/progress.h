/*
 * Reading progress from a command's output: one line at a time, as the
 * spec's "Task kinds" section lists the formats, with the data items
 * and results of "Results and incremental data". A line that is none of
 * them is a log line; a data or result line that breaks a rule is
 * refused: a log line, with a second log line that says why.
 */
#ifndef HG_PROGRESS_H
#define HG_PROGRESS_H

#include <regex.h>
#include <stddef.h>

#include "hg.h"

enum pline_kind {
	PLINE_LOG,		/* not a progress line */
	PLINE_PROGRESS,		/* value of total, maybe a message */
	PLINE_COMPLETE,		/* {"complete":1,"code":N,...} */
	PLINE_DATA,		/* {"data":<value>,"name":"row"} */
	PLINE_RESULT		/* {"result":<value>} */
};

/* Room for the log line that says why a line was refused. */
#define PLINE_WHY_MAX	256

struct pline {
	enum pline_kind	 kind;
	double		 value;
	double		 total;		/* > 0 */
	int		 has_message;
	char		 message[HG_MSG_MAX];
	int		 code;		/* PLINE_COMPLETE */
	char		 name[HG_DATA_NAME_MAX + 1];	/* PLINE_DATA */
	/* The item's value, or the result (of a result line or of a
	 * complete line that has one), as compact JSON text of json_len
	 * (<= HG_DATA_ITEM_MAX) bytes; else NULL. malloc'd: free it with
	 * pline_free(). */
	char		*json;
	size_t		 json_len;
	/* "" unless something of the line was refused: then the log line
	 * that says why, to follow the line itself in the log. A refused
	 * data or result line is PLINE_LOG; a complete line whose result
	 * is refused still completes. */
	char		 why[PLINE_WHY_MAX];
};

/*
 * Parses line (len bytes, no line ending, valid UTF-8 without NUL, as
 * made by hg_utf8_clean). re is the kind's progress_regex or NULL.
 * Fills *out and returns its kind; never fails: anything odd (numbers
 * out of range, a total of 0, JSON that is not an object) is a log line.
 * Release *out with pline_free() (out of memory: a refused line).
 */
enum pline_kind	progress_parse(const char *line, size_t len,
		    const regex_t *re, struct pline *out);
/*
 * The kind's progress_regex alone, as a command's stderr is read: 0 with
 * *percent (0..100) from its first group if line matches re, else -1.
 */
int		progress_regex(const char *line, const regex_t *re,
		    double *percent);
/* Frees what out holds (its json); out may be parsed into again. */
void		pline_free(struct pline *out);
/* 1 if name matches ^[A-Za-z][A-Za-z0-9_.-]{0,63}$, a data item's name,
 * else 0. */
int		pline_name_ok(const char *name);

/*
 * Copies len bytes of in to out (cap bytes, cap >= 4), replacing each
 * invalid UTF-8 sequence and each NUL byte by U+FFFD, and cutting at a
 * character boundary if out fills. NUL-terminates out. Returns the
 * length written.
 */
size_t		hg_utf8_clean(const char *in, size_t len, char *out,
		    size_t cap);

#endif
