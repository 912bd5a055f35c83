/* SPDX-License-Identifier: ISC */
/*
 * The loaders behind dlib.h. Each library is opened by its SONAME, the
 * ABI the headers were written for, with RTLD_NOW so that a library too
 * old for one of our functions fails here and not in the middle of a
 * request, and RTLD_LOCAL so its symbols stay out of the global scope.
 * A table is filled only when every function was found.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "dlib.h"
#include "xmalloc.h"

struct dlib_curl dlib_curl;
struct dlib_amqp dlib_amqp;
struct dlib_jwt dlib_jwt;

/*
 * Opens SONAME; NULL with *cause saying why (dlerror's text names the
 * file) and what to install.
 */
static void *
dlib_open(const char *soname, const char *package, char **cause)
{
	size_t len = strcspn(soname, ".");
	void *h;

	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL)
		xasprintf(cause,
		    "cannot load %.*s: %s (install the Debian "
		    "package %s)",
		    (int)len, soname, dlerror(), package);
	return h;
}

/*
 * Looks NAME up in H; NULL with *cause naming it and the library. After
 * a first miss the rest are skipped, so *cause names the first one.
 */
static void *
dlib_sym(void *h, const char *name, const char *soname, const char *package,
    char **cause)
{
	void *p;

	if (*cause != NULL)
		return NULL;
	if ((p = dlsym(h, name)) == NULL)
		xasprintf(cause,
		    "cannot load %s: it has no function %s (install "
		    "a current Debian package %s)",
		    soname, name, package);
	return p;
}

/*
 * Fills the local table T from the handle H. The cast goes through the
 * member's own type, the type of the library's declaration: POSIX
 * guarantees that dlsym's void * converts to a function pointer.
 */
#define DLIB_LOAD(fn, member)                                                  \
	t.member = (__typeof__(t.member))dlib_sym(h, #fn, so, pkg, &why);

int
dlib_curl_load(char **cause)
{
	static const char so[] = "libcurl.so.4", pkg[] = "libcurl4";
	static void *h;
	struct dlib_curl t;
	char *why = NULL;

	if (h != NULL)
		return 0;
	if ((h = dlib_open(so, pkg, cause)) == NULL)
		return -1;
	DLIB_CURL_FUNCS(DLIB_LOAD)
	if (why != NULL) {
		dlclose(h);
		h = NULL;
		*cause = why;
		return -1;
	}
	dlib_curl = t;
	return 0;
}

int
dlib_amqp_load(char **cause)
{
	static const char so[] = "librabbitmq.so.4", pkg[] = "librabbitmq4";
	static void *h;
	struct dlib_amqp t;
	char *why = NULL;

	if (h != NULL)
		return 0;
	if ((h = dlib_open(so, pkg, cause)) == NULL)
		return -1;
	DLIB_AMQP_FUNCS(DLIB_LOAD)
	if (why != NULL) {
		dlclose(h);
		h = NULL;
		*cause = why;
		return -1;
	}
	dlib_amqp = t;
	return 0;
}

int
dlib_jwt_load(char **cause)
{
	static const char so[] = "libjwt.so.0", pkg[] = "libjwt0";
	static void *h;
	struct dlib_jwt t;
	char *why = NULL;

	if (h != NULL)
		return 0;
	if ((h = dlib_open(so, pkg, cause)) == NULL)
		return -1;
	DLIB_JWT_FUNCS(DLIB_LOAD)
	if (why != NULL) {
		dlclose(h);
		h = NULL;
		*cause = why;
		return -1;
	}
	dlib_jwt = t;
	return 0;
}

void
dlib_curl_slist_free_all(struct curl_slist *list)
{
	if (list != NULL)
		dlib_curl.slist_free_all(list);
}
