/*
 * hourglass, the command-line client: reads the command line and the
 * environment, then hands the command to tasks.c or schedules.c, and
 * checks that what it printed was written. The exit statuses are in
 * args.c's usage and README.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "api.h"
#include "args.h"
#include "hg.h"
#include "http.h"
#include "schedules.h"
#include "tasks.h"
#include "watch.h"

#define DEFAULT_URL	"http://127.0.0.1:8080"

/* HOURGLASS_RETRY_S: whole seconds, 0 to a day; -1 if it is not. */
static int64_t
giveup_seconds(void)
{
	const char	*s = getenv("HOURGLASS_RETRY_S");
	char		*end;
	long		 n;

	if (s == NULL || *s == '\0')
		return WATCH_GIVEUP_S;
	n = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || n > 86400)
		return -1;
	return n;
}

int
main(int argc, char **argv)
{
	struct args	 a;
	struct http	*h;
	const char	*url = getenv("HOURGLASS_URL");
	char		 err[512];
	int64_t		 giveup;
	int		 rc;

	/* Fds 0-2 filled where closed (hourglass ls >&-): else the next
	 * open takes the number, curl's socket, and the output goes into
	 * the HTTP connection. Read-only, a write to it fails (EBADF) and
	 * is told as any failed write. */
	if (hg_std_fds(O_RDONLY) == -1)
		return EXIT_OUTPUT;
	if (args_parse(argc, argv, &a, err, sizeof(err)) == -1) {
		api_warn("%s", err);
		fprintf(stderr, "%s", args_usage);
		return EXIT_USAGE;
	}
	if (a.cmd == CMD_HELP || a.help) {
		fputs(args_usage, stdout);
		return api_flush();
	}
	if ((giveup = giveup_seconds()) == -1) {
		api_warn("HOURGLASS_RETRY_S: must be whole seconds from 0 "
		    "to 86400");
		return EXIT_USAGE;
	}
	/* A reader that goes away (hourglass ls | head) is an EPIPE on
	 * the next write, not a signal in the middle of a line. */
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		api_warn("libcurl would not start");
		return 1;
	}
	if ((h = http_open(url != NULL && *url != '\0' ? url : DEFAULT_URL,
	    getenv("HOURGLASS_TOKEN"), err, sizeof(err))) == NULL) {
		api_warn("%s", err);
		curl_global_cleanup();
		return EXIT_USAGE;
	}
	if (a.cmd >= CMD_SCHEDULES)
		rc = schedules_run(h, &a);
	else
		rc = tasks_run(h, &a, giveup);
	/* Checked once for every command: what it printed is out, or the
	 * status says it is not (start's new id, a table cut short). */
	if (api_flush() != 0)
		rc = EXIT_OUTPUT;
	http_close(h);
	curl_global_cleanup();
	return rc;
}
