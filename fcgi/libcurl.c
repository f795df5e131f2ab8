/*
 * libcurl by dlopen(): see libcurl.h for why. The library stays loaded
 * until exit, as a linked one would.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "libcurl.h"

/* Debian's libcurl4 (OpenSSL), the package the server depends on. */
#define LIBCURL_SONAME	"libcurl.so.4"
/* What it sends https with. */
#define LIBCRYPTO_SONAME	"libcrypto.so.3"

struct libcurl	 lc;

int
libcurl_load(char *err, size_t errlen)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} fns[] = {
#define FN(f)	{ "curl_" #f, offsetof(struct libcurl, f) }
		FN(global_init), FN(global_cleanup), FN(easy_init),
		FN(easy_cleanup), FN(easy_reset), FN(easy_setopt),
		FN(easy_perform), FN(easy_getinfo), FN(easy_strerror),
		FN(slist_append), FN(slist_free_all), FN(url), FN(url_set),
		FN(url_get), FN(url_strerror), FN(free), FN(url_cleanup),
#undef FN
	};
	void	*h, *f;
	size_t	 i;

	if ((h = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "webhooks need libcurl (Debian: "
		    "libcurl4): %s", dlerror());
		return -1;
	}
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		if ((f = dlsym(h, fns[i].name)) == NULL) {
			snprintf(err, errlen, "%s: no %s", LIBCURL_SONAME,
			    fns[i].name);
			return -1;
		}
		/* POSIX makes a function pointer from dlsym's void *. */
		*(void **)((char *)&lc + fns[i].off) = f;
	}
	return 0;
}

void
libcurl_thread_stop(void)
{
	void	*h, *f;
	void	(*stop)(void);

	if ((h = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_NOLOAD)) == NULL)
		return;
	if ((f = dlsym(h, "OPENSSL_thread_stop")) != NULL) {
		*(void **)&stop = f;
		stop();
	}
	dlclose(h);
}
