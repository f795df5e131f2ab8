#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "hg.h"
#include "runlog.h"
#include "warn.h"

static int	 server_err = -1;	/* HG_SERVER_ERR_FD, or -1: none */

int
warn_open(void)
{
	signal(SIGPIPE, SIG_IGN);
	server_err = fcntl(HG_SERVER_ERR_FD, F_GETFD) != -1 ?
	    HG_SERVER_ERR_FD : -1;
	return server_err;
}

/* One line to runner.log and, if loud or runner.log did not take it,
 * to the server's stderr, in one write(2) each. */
static void
warn_line(int loud, int64_t id, const char *fmt, va_list ap)
{
	char	 msg[HG_RUNNER_LOG_LINE], line[HG_RUNNER_LOG_LINE];
	int	 n;

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (runlog_printf("hourglass-runner[task %lld]: %s", (long long)id,
	    msg) == 0 && !loud)
		return;
	if (server_err == -1)
		return;
	/* Cut to fit, the '\n' kept: a line whole or a line cut, never a
	 * line run into the server's next. */
	n = snprintf(line, sizeof(line) - 1, "hourglass-runner[task %lld]: "
	    "%s", (long long)id, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)write(server_err, line, (size_t)n);
}

void
warn_task(int64_t id, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	warn_line(0, id, fmt, ap);
	va_end(ap);
}

void
warn_task_loud(int64_t id, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	warn_line(1, id, fmt, ap);
	va_end(ap);
}
