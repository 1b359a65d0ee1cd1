#include "config.h"

#include <dlfcn.h>
#include <string.h>

#include "dynlib.h"
#include "log.h"

int
sk_dlib_load(struct sk_dlib *l)
{
	void *h, *p;
	const char *e;
	size_t i;

	if (l->state != 0)
		goto out;
	l->state = -1;
	/* RTLD_NOW: a library without a symbol we need fails here, once,
	 * rather than in the middle of a knock. */
	if ((h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		log_err("cannot load %s (%s): %s; install the package %s",
		    l->what, l->soname, e ? e : "unknown error", l->package);
		return -1;
	}
	for (i = 0; i < l->nsyms; i++) {
		(void)dlerror();
		if ((p = dlsym(h, l->syms[i].name)) == NULL) {
			e = dlerror();
			log_err("%s (%s) has no %s: %s; install the package %s "
			    "of this system's release", l->what, l->soname,
			    l->syms[i].name, e ? e : "a null address",
			    l->package);
			while (i-- > 0)
				memset(l->syms[i].slot, 0, sizeof(void *));
			dlclose(h);
			return -1;
		}
		/* POSIX: a function's address fits in a void *. */
		memcpy(l->syms[i].slot, &p, sizeof(p));
	}
	/* Kept open for the life of the process: the pointers refer to it. */
	l->state = 1;
out:
	if (l->state < 0)
		log_err("%s (%s) could not be loaded; install the package %s",
		    l->what, l->soname, l->package);
	return l->state > 0 ? 0 : -1;
}
