/*
 * The command line read into a struct args: which command, its
 * operands and its options, each checked for form (an id is an id, a
 * limit is 1 to 500) before anything is sent. Parameters name=value
 * are kept as text here; params.h types them once the kind is known.
 */
#ifndef HG_CLI_ARGS_H
#define HG_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "hg.h"

/* Operands of one command: KIND, CRON and name=value pairs at most. */
#define ARGS_POS_MAX	64

enum cmd {
	CMD_HELP,
	CMD_KINDS,
	CMD_START,
	CMD_LS,
	CMD_SHOW,
	CMD_WATCH,
	CMD_STOP,
	CMD_RERUN,
	CMD_RESULT,
	CMD_DATA,
	CMD_LOGS,
	CMD_SCHEDULES,		/* the list */
	CMD_SCHED_ADD,
	CMD_SCHED_RM,
	CMD_SCHED_PAUSE,
	CMD_SCHED_RESUME,
	CMD_SCHED_RUN
};

/* Every string borrows argv. */
struct args {
	enum cmd	 cmd;
	const char	*cmdname;	/* as typed, for messages */
	int64_t		 id;		/* the ID operand, where one is */
	const char	*kind;		/* start, schedules add */
	const char	*cron;		/* schedules add */
	const char	*params[ARGS_POS_MAX];	/* name=value, as typed */
	size_t		 nparams;
	const char	*name;		/* --name: a label, or data's name */
	int64_t		 after[HG_AFTER_MAX];
	size_t		 nafter;
	const char	*key;		/* --key */
	const char	*state;		/* --state */
	const char	*kindf;		/* --kind, the filter of ls */
	int		 limit;		/* --limit; 0 when not given */
	const char	*timezone;	/* --timezone */
	const char	*overlap;	/* --overlap */
	int		 follow;
	int		 json;
	int		 help;		/* --help after a command */
};

/*
 * Reads argv[1..argc-1] into a. Returns 0, or -1 with a message that
 * names the argument and the rule in err (a usage error: exit 2).
 */
int	args_parse(int argc, char **argv, struct args *a, char *err,
	    size_t errlen);

/* The usage text, for --help and after a usage error. */
extern const char	args_usage[];

#endif
