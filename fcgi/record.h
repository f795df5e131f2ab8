/*
 * FastCGI records, framed by hand where libfcgi's streams are not used:
 * a stream loop's writes (sse.c) and an answer sent whole (http.c). The
 * FastCGI specification, 3.3 (records) and 8 (types and constants).
 */
#ifndef HG_RECORD_H
#define HG_RECORD_H

#include <stddef.h>
#include <string.h>

#define FCGI_VERSION_1		1
#define FCGI_END_REQUEST	3
#define FCGI_STDOUT		6
#define FCGI_CONTENT_MAX	65535	/* bytes in one record */
#define FCGI_HEADER_LEN		8
#define FCGI_END_LEN		(3 * FCGI_HEADER_LEN)

/* The header of a record of type for request id with n bytes of
 * content (n <= FCGI_CONTENT_MAX) and no padding. */
static inline void
record_head(unsigned char h[FCGI_HEADER_LEN], int type, int id, size_t n)
{
	h[0] = FCGI_VERSION_1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(n >> 8);
	h[5] = (unsigned char)n;
	h[6] = h[7] = 0;
}

/* What ends request id's answer: an empty FCGI_STDOUT, then
 * FCGI_END_REQUEST with application status 0 and FCGI_REQUEST_COMPLETE
 * (the specification, 5.3 and 5.5). */
static inline void
record_end(unsigned char e[FCGI_END_LEN], int id)
{
	record_head(e, FCGI_STDOUT, id, 0);
	record_head(e + FCGI_HEADER_LEN, FCGI_END_REQUEST, id,
	    FCGI_HEADER_LEN);
	memset(e + 2 * FCGI_HEADER_LEN, 0, FCGI_HEADER_LEN);
}

/*
 * Sends a whole answer on socket fd, blocking, in one system call for
 * any but the largest: head then body as FCGI_STDOUT records of up to
 * FCGI_CONTENT_MAX bytes, then record_end(), for request id. Returns 0, or -1 with
 * errno: the connection is then in no state to be kept.
 */
int	record_answer(int fd, int id, const char *head, size_t hlen,
	    const char *body, size_t blen);

#endif
