#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

static int
addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path) >=
	    (int)sizeof(sa->sun_path))
		return -1;
	return 0;
}

int
notify_listen(const char *path)
{
	struct sockaddr_un	 sa;
	int			 fd;

	if (addr(&sa, path) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

void
notify_drain(int fd)
{
	char	 buf[64];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

int
notify_open(void)
{
	return socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

int
notify_sendbuf(int fd, const char *path, const void *buf, size_t len,
    int flags)
{
	struct sockaddr_un	 sa;

	if (fd == -1 || addr(&sa, path) == -1)
		return -1;
	if (sendto(fd, buf, len, flags | MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)len)
		return -1;
	return 0;
}

void
notify_send(int fd, const char *path)
{
	(void)notify_sendbuf(fd, path, "!", 1, MSG_DONTWAIT);
}
