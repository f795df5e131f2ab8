/*
 * The webhook sender: a thread of the server's own that POSTs pending
 * deliveries (SPEC "Notifications") one at a time with libcurl, so that
 * a slow or dead receiver holds up nothing but itself; never a request
 * thread, never a runner.
 */
#ifndef HG_WEBHOOK_H
#define HG_WEBHOOK_H

#include <stddef.h>

/*
 * Records in the database whether deliveries are written (is
 * HOURGLASS_WEBHOOK_URL set?) and, if so, starts the thread, which
 * first takes whatever was left pending. Returns 0, or -1 with the
 * reason in err (a URL libcurl cannot parse among them).
 */
int	 webhook_start(char *err, size_t errlen);
/* Asks for a look now (a task ended). Safe before webhook_start() and
 * after webhook_stop(), and without a thread. */
void	 webhook_kick(void);
/* Ends the thread; an attempt in progress is abandoned, unrecorded, so
 * that it is made again after the next start. */
void	 webhook_stop(void);

#endif
