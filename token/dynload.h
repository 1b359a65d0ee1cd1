/* libfido2, PC/SC-lite and GnuTLS, loaded when a knock first needs them
 * (lib/dynlib.h says why and how).  Include this instead of <fido.h>,
 * <PCSC/winscard.h> or <gnutls/gnutls.h>; call the loader before the
 * first use: fido2dev_open, opcard's readers and STUN over TLS do. */
#ifndef SK_DYNLOAD_H
#define SK_DYNLOAD_H

#include <fido.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "dynlib.h"

#define SK_FIDO2_SYMS(X) \
	X(fido_assert_allow_cred) \
	X(fido_assert_authdata_len) \
	X(fido_assert_authdata_ptr) \
	X(fido_assert_count) \
	X(fido_assert_free) \
	X(fido_assert_new) \
	X(fido_assert_set_clientdata_hash) \
	X(fido_assert_set_rp) \
	X(fido_assert_set_up) \
	X(fido_assert_sig_len) \
	X(fido_assert_sig_ptr) \
	X(fido_cred_fmt) \
	X(fido_cred_free) \
	X(fido_cred_id_len) \
	X(fido_cred_id_ptr) \
	X(fido_cred_new) \
	X(fido_cred_pubkey_len) \
	X(fido_cred_pubkey_ptr) \
	X(fido_cred_set_clientdata_hash) \
	X(fido_cred_set_rp) \
	X(fido_cred_set_type) \
	X(fido_cred_set_user) \
	X(fido_cred_verify) \
	X(fido_cred_verify_self) \
	X(fido_cred_x5c_ptr) \
	X(fido_dev_cancel) \
	X(fido_dev_close) \
	X(fido_dev_free) \
	X(fido_dev_get_assert) \
	X(fido_dev_get_touch_begin) \
	X(fido_dev_get_touch_status) \
	X(fido_dev_info_free) \
	X(fido_dev_info_manifest) \
	X(fido_dev_info_manufacturer_string) \
	X(fido_dev_info_new) \
	X(fido_dev_info_path) \
	X(fido_dev_info_product) \
	X(fido_dev_info_product_string) \
	X(fido_dev_info_ptr) \
	X(fido_dev_info_vendor) \
	X(fido_dev_is_fido2) \
	X(fido_dev_make_cred) \
	X(fido_dev_new) \
	X(fido_dev_open) \
	X(fido_dev_set_io_functions) \
	X(fido_dev_set_timeout) \
	X(fido_init) \
	X(fido_strerr)

#define SK_PCSC_SYMS(X) \
	X(SCardBeginTransaction) \
	X(SCardConnect) \
	X(SCardDisconnect) \
	X(SCardEndTransaction) \
	X(SCardEstablishContext) \
	X(SCardFreeMemory) \
	X(SCardListReaders) \
	X(SCardReleaseContext) \
	X(SCardTransmit) \
	X(pcsc_stringify_error) \
	X(g_rgSCardT0Pci) \
	X(g_rgSCardT1Pci)

#define SK_GNUTLS_SYMS(X) \
	X(gnutls_certificate_allocate_credentials) \
	X(gnutls_certificate_free_credentials) \
	X(gnutls_certificate_set_x509_system_trust) \
	X(gnutls_certificate_set_x509_trust_file) \
	X(gnutls_certificate_type_get) \
	X(gnutls_certificate_verification_status_print) \
	X(gnutls_credentials_set) \
	X(gnutls_deinit) \
	X(gnutls_error_is_fatal) \
	X(gnutls_free) \
	X(gnutls_handshake) \
	X(gnutls_handshake_set_timeout) \
	X(gnutls_init) \
	X(gnutls_record_recv) \
	X(gnutls_record_send) \
	X(gnutls_server_name_set) \
	X(gnutls_session_get_verify_cert_status) \
	X(gnutls_session_set_verify_cert) \
	X(gnutls_set_default_priority) \
	X(gnutls_strerror) \
	X(gnutls_transport_set_int2)

SK_FIDO2_SYMS(SK_DL_EXTERN)
SK_PCSC_SYMS(SK_DL_EXTERN)
SK_GNUTLS_SYMS(SK_DL_EXTERN)

/* 0, or -1 logged with the package to install. */
int	dynload_fido2(void);
int	dynload_pcsc(void);
int	dynload_gnutls(void);

/* From here on, every use goes through the loaded address. */
#define fido_assert_allow_cred (*sk_dl_fido_assert_allow_cred)
#define fido_assert_authdata_len (*sk_dl_fido_assert_authdata_len)
#define fido_assert_authdata_ptr (*sk_dl_fido_assert_authdata_ptr)
#define fido_assert_count (*sk_dl_fido_assert_count)
#define fido_assert_free (*sk_dl_fido_assert_free)
#define fido_assert_new (*sk_dl_fido_assert_new)
#define fido_assert_set_clientdata_hash (*sk_dl_fido_assert_set_clientdata_hash)
#define fido_assert_set_rp (*sk_dl_fido_assert_set_rp)
#define fido_assert_set_up (*sk_dl_fido_assert_set_up)
#define fido_assert_sig_len (*sk_dl_fido_assert_sig_len)
#define fido_assert_sig_ptr (*sk_dl_fido_assert_sig_ptr)
#define fido_cred_fmt (*sk_dl_fido_cred_fmt)
#define fido_cred_free (*sk_dl_fido_cred_free)
#define fido_cred_id_len (*sk_dl_fido_cred_id_len)
#define fido_cred_id_ptr (*sk_dl_fido_cred_id_ptr)
#define fido_cred_new (*sk_dl_fido_cred_new)
#define fido_cred_pubkey_len (*sk_dl_fido_cred_pubkey_len)
#define fido_cred_pubkey_ptr (*sk_dl_fido_cred_pubkey_ptr)
#define fido_cred_set_clientdata_hash (*sk_dl_fido_cred_set_clientdata_hash)
#define fido_cred_set_rp (*sk_dl_fido_cred_set_rp)
#define fido_cred_set_type (*sk_dl_fido_cred_set_type)
#define fido_cred_set_user (*sk_dl_fido_cred_set_user)
#define fido_cred_verify (*sk_dl_fido_cred_verify)
#define fido_cred_verify_self (*sk_dl_fido_cred_verify_self)
#define fido_cred_x5c_ptr (*sk_dl_fido_cred_x5c_ptr)
#define fido_dev_cancel (*sk_dl_fido_dev_cancel)
#define fido_dev_close (*sk_dl_fido_dev_close)
#define fido_dev_free (*sk_dl_fido_dev_free)
#define fido_dev_get_assert (*sk_dl_fido_dev_get_assert)
#define fido_dev_get_touch_begin (*sk_dl_fido_dev_get_touch_begin)
#define fido_dev_get_touch_status (*sk_dl_fido_dev_get_touch_status)
#define fido_dev_info_free (*sk_dl_fido_dev_info_free)
#define fido_dev_info_manifest (*sk_dl_fido_dev_info_manifest)
#define fido_dev_info_manufacturer_string \
	(*sk_dl_fido_dev_info_manufacturer_string)
#define fido_dev_info_new (*sk_dl_fido_dev_info_new)
#define fido_dev_info_path (*sk_dl_fido_dev_info_path)
#define fido_dev_info_product (*sk_dl_fido_dev_info_product)
#define fido_dev_info_product_string (*sk_dl_fido_dev_info_product_string)
#define fido_dev_info_ptr (*sk_dl_fido_dev_info_ptr)
#define fido_dev_info_vendor (*sk_dl_fido_dev_info_vendor)
#define fido_dev_is_fido2 (*sk_dl_fido_dev_is_fido2)
#define fido_dev_make_cred (*sk_dl_fido_dev_make_cred)
#define fido_dev_new (*sk_dl_fido_dev_new)
#define fido_dev_open (*sk_dl_fido_dev_open)
#define fido_dev_set_io_functions (*sk_dl_fido_dev_set_io_functions)
#define fido_dev_set_timeout (*sk_dl_fido_dev_set_timeout)
#define fido_init (*sk_dl_fido_init)
#define fido_strerr (*sk_dl_fido_strerr)
#define SCardBeginTransaction (*sk_dl_SCardBeginTransaction)
#define SCardConnect (*sk_dl_SCardConnect)
#define SCardDisconnect (*sk_dl_SCardDisconnect)
#define SCardEndTransaction (*sk_dl_SCardEndTransaction)
#define SCardEstablishContext (*sk_dl_SCardEstablishContext)
#define SCardFreeMemory (*sk_dl_SCardFreeMemory)
#define SCardListReaders (*sk_dl_SCardListReaders)
#define SCardReleaseContext (*sk_dl_SCardReleaseContext)
#define SCardTransmit (*sk_dl_SCardTransmit)
#define pcsc_stringify_error (*sk_dl_pcsc_stringify_error)
#define g_rgSCardT0Pci (*sk_dl_g_rgSCardT0Pci)
#define g_rgSCardT1Pci (*sk_dl_g_rgSCardT1Pci)
#define gnutls_certificate_allocate_credentials \
	(*sk_dl_gnutls_certificate_allocate_credentials)
#define gnutls_certificate_free_credentials \
	(*sk_dl_gnutls_certificate_free_credentials)
#define gnutls_certificate_set_x509_system_trust \
	(*sk_dl_gnutls_certificate_set_x509_system_trust)
#define gnutls_certificate_set_x509_trust_file \
	(*sk_dl_gnutls_certificate_set_x509_trust_file)
#define gnutls_certificate_type_get (*sk_dl_gnutls_certificate_type_get)
#define gnutls_certificate_verification_status_print \
	(*sk_dl_gnutls_certificate_verification_status_print)
#define gnutls_credentials_set (*sk_dl_gnutls_credentials_set)
#define gnutls_deinit (*sk_dl_gnutls_deinit)
#define gnutls_error_is_fatal (*sk_dl_gnutls_error_is_fatal)
/* A variable holding the function (and a macro that clears the
 * pointer): the loaded address is the variable's. */
#undef gnutls_free
#define gnutls_free(a) ((*sk_dl_gnutls_free)((void *)(a)), (a) = NULL)
#define gnutls_handshake (*sk_dl_gnutls_handshake)
#define gnutls_handshake_set_timeout (*sk_dl_gnutls_handshake_set_timeout)
#define gnutls_init (*sk_dl_gnutls_init)
#define gnutls_record_recv (*sk_dl_gnutls_record_recv)
#define gnutls_record_send (*sk_dl_gnutls_record_send)
#define gnutls_server_name_set (*sk_dl_gnutls_server_name_set)
#define gnutls_session_get_verify_cert_status \
	(*sk_dl_gnutls_session_get_verify_cert_status)
#define gnutls_session_set_verify_cert (*sk_dl_gnutls_session_set_verify_cert)
#define gnutls_set_default_priority (*sk_dl_gnutls_set_default_priority)
#define gnutls_strerror (*sk_dl_gnutls_strerror)
#define gnutls_transport_set_int2 (*sk_dl_gnutls_transport_set_int2)

#endif
