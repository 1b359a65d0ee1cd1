/* Libraries loaded when first needed (dlopen), not at every start.
 *
 * The client links libfido2 (and OpenSSL, libcbor, libudev through it),
 * PC/SC-lite and GnuTLS for the tokens and STUN over TLS that a knock
 * may use; loading them at start cost 2.5 ms of every run, a soft-key
 * knock's included.  A user of this header lists the functions (and data)
 * it uses in an X-macro, declares a pointer for each with SK_DL_EXTERN,
 * defines them with SK_DL_DEFINE and a table with SK_DL_ENTRY, and
 * renames each use with "#define name (*sk_dl_name)" after the library's
 * own header, so that code reads as if linked (token/dynload.h).  A name
 * used but not renamed fails to link, as the library is not linked. */
#ifndef SK_DYNLIB_H
#define SK_DYNLIB_H

#include <stddef.h>

struct sk_dlsym {
	const char	*name;
	void		*slot;		/* where the address goes */
};

struct sk_dlib {
	const char		*soname;	/* "libfido2.so.1" */
	const char		*what;		/* "libfido2" */
	const char		*package;	/* the Debian package */
	const struct sk_dlsym	*syms;
	size_t			 nsyms;
	/* 0: not tried yet, 1: loaded, -1: failed */
	int			 state;
};

/* Load the library and every symbol, once.  0, or -1 after logging what
 * failed and which package to install (each time it is asked). */
int	sk_dlib_load(struct sk_dlib *l);

#define SK_DL_EXTERN(f)	extern __typeof__(f) *sk_dl_##f;
#define SK_DL_DEFINE(f)	__typeof__(sk_dl_##f) sk_dl_##f;
#define SK_DL_ENTRY(f)	{ #f, &sk_dl_##f },

#endif
