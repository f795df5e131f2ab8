#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "hg.h"
#include "record.h"

/*
 * Sends iov (cnt entries) whole, through short writes and EINTR, in
 * calls of at most IOV_MAX entries; never raises SIGPIPE (a peer gone
 * is EPIPE). Returns 0, or -1 with errno.
 */
static int
send_all(int fd, struct iovec *iov, int cnt)
{
	struct msghdr	 m;
	ssize_t		 n;

	while (cnt > 0) {
		memset(&m, 0, sizeof(m));
		m.msg_iov = iov;
		m.msg_iovlen = (size_t)(cnt < IOV_MAX ? cnt : IOV_MAX);
		if ((n = sendmsg(fd, &m, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		hg_iov_advance(&iov, &cnt, (size_t)n);
	}
	return 0;
}

int
record_answer(int fd, int id, const char *head, size_t hlen,
    const char *body, size_t blen)
{
	unsigned char	 one[FCGI_HEADER_LEN], tail[FCGI_END_LEN];
	unsigned char	*h = one;
	struct iovec	 small[4], *iov = small;
	const char	*p[2] = { head, body };
	size_t		 left[2] = { hlen, blen };
	size_t		 n = hlen + blen, nrec, k, take, i, j = 0;
	int		 cnt = 0, rc = -1;

	nrec = (n + FCGI_CONTENT_MAX - 1) / FCGI_CONTENT_MAX;
	/* Each record: its header, and at most the end of the head and
	 * the start of the body. */
	if (nrec > 1 && ((h = malloc(nrec * FCGI_HEADER_LEN)) == NULL ||
	    (iov = calloc(nrec * 3 + 1, sizeof(*iov))) == NULL)) {
		errno = ENOMEM;
		goto out;
	}
	for (i = 0; i < nrec; i++) {
		k = n - i * FCGI_CONTENT_MAX;
		if (k > FCGI_CONTENT_MAX)
			k = FCGI_CONTENT_MAX;
		record_head(h + i * FCGI_HEADER_LEN, FCGI_STDOUT, id, k);
		iov[cnt].iov_base = h + i * FCGI_HEADER_LEN;
		iov[cnt++].iov_len = FCGI_HEADER_LEN;
		while (k > 0) {
			if (left[j] == 0) {
				j++;
				continue;
			}
			take = left[j] < k ? left[j] : k;
			iov[cnt].iov_base = (void *)p[j];
			iov[cnt++].iov_len = take;
			p[j] += take;
			left[j] -= take;
			k -= take;
		}
	}
	record_end(tail, id);
	iov[cnt].iov_base = tail;
	iov[cnt++].iov_len = sizeof(tail);
	rc = send_all(fd, iov, cnt);
out:
	if (h != one)
		free(h);
	if (iov != small)
		free(iov);
	return rc;
}
