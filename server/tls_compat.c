/*
 * tls_compat.c - a shim that makes CivetWeb's HTTPS work on Debian 12.
 *
 * Debian's libcivetweb 1.15 loads OpenSSL at run time with
 * dlopen("libssl.so") and looks up, among others, SSL_get_peer_certificate,
 * a function OpenSSL 3 no longer exports (it became a macro for
 * SSL_get1_peer_certificate). The lookup yields NULL and the first HTTPS
 * connection calls it: a crash. This file is built twice as shared objects
 * named libssl.so and libcrypto.so in build/tls-compat/, which the server
 * finds first through its DT_RPATH ($ORIGIN/tls-compat). Each depends on
 * the real libssl.so.3 / libcrypto.so.3, so every other symbol CivetWeb asks
 * for resolves to OpenSSL itself; the libssl one adds the missing function.
 * It also spares the runtime the unversioned -dev symlinks.
 */
#include <openssl/ssl.h>

#ifdef TLS_COMPAT_SSL
/* OpenSSL 3's ssl.h makes the name a macro for SSL_get1_peer_certificate:
 * undo that so the exported symbol has the old name. The OpenSSL 1.1
 * semantics are kept: a new reference, which CivetWeb frees. */
#undef SSL_get_peer_certificate
X509 *SSL_get_peer_certificate(const SSL *s);
X509 *SSL_get_peer_certificate(const SSL *s)
{
    return SSL_get1_peer_certificate(s);
}
#else
/* libcrypto.so: nothing of its own; it only pulls in libcrypto.so.3. */
int tls_compat_crypto_marker;
int tls_compat_crypto_marker = 1;
#endif
