#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "warn.h"

void
warn_task(int64_t id, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "hourglass-runner[task %lld]: ", (long long)id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
