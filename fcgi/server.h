/*
 * The server's settings, read-only once threads start. srv is defined
 * in server.c, which calls nothing: every file may read it without
 * making a circle.
 *
 * hourglass-fcgi runs a thread per connection from nginx and one per
 * SSE stream (small stacks), so that thousands of open streams never
 * starve the API; one feed thread reads new events from SQLite and
 * wakes every stream that waits, and one janitor thread tends tasks.
 * Code flows one way, main -> route -> handlers -> helpers -> lib:
 * each file declares what others may call in a header of its own.
 */
#ifndef HG_SERVER_H
#define HG_SERVER_H

#include "config.h"
#include "kinds.h"

struct server {
	struct config	 cfg;
	struct kinds	*kinds;
	struct objcache	*objs;	/* tasks' objects for list pages */
};
extern struct server	 srv;

#endif
