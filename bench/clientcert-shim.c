// LD_PRELOAD library that makes any OpenSSL 3 client (wrk, h2load) present a TLS client certificate, so the
// load generator can talk to an mTLS listener directly instead of through a TLS-originating forwarder that would
// share the two cores with the target.
//
//   gcc -O2 -shared -fPIC -o clientcert-shim.so bench/clientcert-shim.c -ldl -lssl -lcrypto
//   BENCH_CLIENT_CERT=agent.pem BENCH_CLIENT_KEY=agent-key.pem LD_PRELOAD=./clientcert-shim.so wrk ... https://...
//
// Every SSL_CTX the program creates gets the certificate (chain) and key. A file that cannot be loaded aborts the
// program: a benchmark that quietly ran without a client certificate would measure 401s, not the proxy.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>

static void present_client_certificate(SSL_CTX *context)
{
    const char *certificate = getenv("BENCH_CLIENT_CERT");
    const char *key = getenv("BENCH_CLIENT_KEY");
    if (context == NULL || certificate == NULL || key == NULL) {
        return;
    }
    if (SSL_CTX_use_certificate_chain_file(context, certificate) != 1
        || SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) != 1
        || SSL_CTX_check_private_key(context) != 1) {
        fprintf(stderr, "clientcert-shim: cannot load %s / %s\n", certificate, key);
        abort();
    }
}

SSL_CTX *SSL_CTX_new(const SSL_METHOD *method)
{
    static SSL_CTX *(*next)(const SSL_METHOD *);
    if (next == NULL) {
        next = (SSL_CTX * (*)(const SSL_METHOD *)) dlsym(RTLD_NEXT, "SSL_CTX_new");
    }
    SSL_CTX *context = next(method);
    present_client_certificate(context);
    return context;
}

SSL_CTX *SSL_CTX_new_ex(OSSL_LIB_CTX *library, const char *properties, const SSL_METHOD *method)
{
    static SSL_CTX *(*next)(OSSL_LIB_CTX *, const char *, const SSL_METHOD *);
    if (next == NULL) {
        next = (SSL_CTX * (*)(OSSL_LIB_CTX *, const char *, const SSL_METHOD *)) dlsym(RTLD_NEXT, "SSL_CTX_new_ex");
    }
    SSL_CTX *context = next(library, properties, method);
    present_client_certificate(context);
    return context;
}
