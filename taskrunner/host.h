/*
 * The runner host, hourglass-runner --host: forks runners and hands
 * them task ids.
 */
#ifndef HG_HOST_H
#define HG_HOST_H

/*
 * Hands each task id received on <data>/runner.sock to an idle runner,
 * or forks one, until stdin closes. title is the argument's room, where
 * each runner writes its task id for ps. Returns the exit status.
 */
int	host_main(char *title);

#endif
