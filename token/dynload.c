#include "config.h"

#include "dynload.h"

SK_FIDO2_SYMS(SK_DL_DEFINE)
SK_PCSC_SYMS(SK_DL_DEFINE)
SK_GNUTLS_SYMS(SK_DL_DEFINE)

static const struct sk_dlsym fido2_syms[] = { SK_FIDO2_SYMS(SK_DL_ENTRY) };
static const struct sk_dlsym pcsc_syms[] = { SK_PCSC_SYMS(SK_DL_ENTRY) };
static const struct sk_dlsym gnutls_syms[] = { SK_GNUTLS_SYMS(SK_DL_ENTRY) };

static struct sk_dlib fido2 = { SK_SONAME_FIDO2, "libfido2", "libfido2-1",
    fido2_syms, sizeof(fido2_syms) / sizeof(fido2_syms[0]), 0 };
static struct sk_dlib pcsc = { SK_SONAME_PCSC, "PC/SC-lite", "libpcsclite1",
    pcsc_syms, sizeof(pcsc_syms) / sizeof(pcsc_syms[0]), 0 };
static struct sk_dlib gnutls = { SK_SONAME_GNUTLS, "GnuTLS", "libgnutls30",
    gnutls_syms, sizeof(gnutls_syms) / sizeof(gnutls_syms[0]), 0 };

int
dynload_fido2(void)
{
	return sk_dlib_load(&fido2);
}

int
dynload_pcsc(void)
{
	return sk_dlib_load(&pcsc);
}

int
dynload_gnutls(void)
{
	return sk_dlib_load(&gnutls);
}
