/*
 * The one instance of the server's settings. A leaf: it calls nothing,
 * so reading srv from any file makes no circle.
 */
#include "server.h"

struct server	 srv;
