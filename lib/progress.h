/*
 * Reading progress from a command's output: one line at a time, as the
 * spec's "Task kinds" section lists the formats. A line that is none of
 * them is a log line.
 */
#ifndef HG_PROGRESS_H
#define HG_PROGRESS_H

#include <regex.h>
#include <stddef.h>

#include "hg.h"

enum pline_kind {
	PLINE_LOG,		/* not a progress line */
	PLINE_PROGRESS,		/* value of total, maybe a message */
	PLINE_COMPLETE		/* {"complete":1,"code":N,...} */
};

struct pline {
	enum pline_kind	 kind;
	double		 value;
	double		 total;		/* > 0 */
	int		 has_message;
	char		 message[HG_MSG_MAX];
	int		 code;		/* PLINE_COMPLETE */
};

/*
 * Parses line (len bytes, no line ending, valid UTF-8 without NUL, as
 * made by hg_utf8_clean). re is the kind's progress_regex or NULL.
 * Fills *out and returns its kind; never fails: anything odd (numbers
 * out of range, a total of 0, JSON that is not an object) is a log line.
 */
enum pline_kind	progress_parse(const char *line, size_t len,
		    const regex_t *re, struct pline *out);

/*
 * Copies len bytes of in to out (cap bytes, cap >= 4), replacing each
 * invalid UTF-8 sequence and each NUL byte by U+FFFD, and cutting at a
 * character boundary if out fills. NUL-terminates out. Returns the
 * length written.
 */
size_t		hg_utf8_clean(const char *in, size_t len, char *out,
		    size_t cap);

#endif
