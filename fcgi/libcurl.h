/*
 * libcurl, loaded with dlopen() only when webhooks are on. Linked, it
 * maps about 4 MiB of libraries (gnutls, krb5, ldap, ssh2, ... that
 * Debian's libcurl4 depends on) into every hourglass-fcgi, used or not;
 * loaded, only into a server that sends webhooks.
 */
#ifndef HG_LIBCURL_H
#define HG_LIBCURL_H

#include <stddef.h>

#include <curl/curl.h>

/* libcurl's functions that the webhook sender calls, by their names
 * less "curl_". */
struct libcurl {
	CURLcode	 (*global_init)(long);
	void		 (*global_cleanup)(void);
	CURL		*(*easy_init)(void);
	void		 (*easy_cleanup)(CURL *);
	void		 (*easy_reset)(CURL *);
	CURLcode	 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	 (*easy_perform)(CURL *);
	CURLcode	 (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char	*(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *,
			    const char *);
	void		 (*slist_free_all)(struct curl_slist *);
	CURLU		*(*url)(void);
	CURLUcode	 (*url_set)(CURLU *, CURLUPart, const char *,
			    unsigned int);
	CURLUcode	 (*url_get)(const CURLU *, CURLUPart, char **,
			    unsigned int);
	const char	*(*url_strerror)(CURLUcode);
	void		 (*free)(void *);
	void		 (*url_cleanup)(CURLU *);
};

/* Filled by libcurl_load(); read-only after it. */
extern struct libcurl	 lc;

/* Loads libcurl.so.4 and finds every function of lc. Returns 0, or -1
 * with the reason in err (the library or a function is missing). Once
 * only, before any thread uses lc. */
int	 libcurl_load(char *err, size_t errlen);

/*
 * Frees what OpenSSL keeps for the calling thread, which has sent with
 * libcurl: now, not by a destructor after the thread is gone, since at
 * shutdown the process may exit, and the leak checker run, in between.
 * Does nothing if libcurl brought no libcrypto (OpenSSL 3).
 */
void	libcurl_thread_stop(void);

#endif
