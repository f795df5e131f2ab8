#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "hg.h"
#include "runlog.h"
#include "warn.h"

void
warn_task(int64_t id, const char *fmt, ...)
{
	char	 msg[HG_RUNNER_LOG_LINE];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	runlog_printf("hourglass-runner[task %lld]: %s", (long long)id, msg);
}
