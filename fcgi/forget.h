/*
 * A task was deleted (DELETE /api/tasks/{id}) or pruned (retention):
 * what this process keeps of it goes too.
 */
#ifndef HG_FORGET_H
#define HG_FORGET_H

#include <stdint.h>

/* After the store deleted task id: kept list answers stop being
 * current, the feed drops its events, and its log and folder are
 * removed. Can't fail; what is left on disk is only space. */
void	 task_forget(int64_t id);

#endif
