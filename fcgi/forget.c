/*
 * Forgetting a task: one function for the API's DELETE and the
 * janitor's retention, below both.
 */
#include <stdint.h>

#include "feed.h"
#include "forget.h"
#include "listcache.h"
#include "server.h"
#include "taskfiles.h"

void
task_forget(int64_t id)
{
	listcache_forget();
	feed_forget(id);
	taskfiles_remove(&srv.cfg, id);
}
