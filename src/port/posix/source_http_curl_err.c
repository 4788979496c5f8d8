/* What a failed libcurl transfer means as OTA_ERR_SRC_*: curl's code, and for a certificate that
 * did not verify, OpenSSL's verdict on the chain (the POSIX HTTP source, source_http.c). */
#include <curl/curl.h>
#include <openssl/x509_vfy.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "port/posix/source_http_curl.h"
#include "source/source_internal.h"

static int tls_verify_error(CURL *easy, const char *errbuf, ota_source_info_t *info)
{
    long verify = X509_V_OK;
    curl_easy_getinfo(easy, CURLINFO_SSL_VERIFYRESULT, &verify);
    const char *which;
    /* The chain's verdict from OpenSSL; curl checks the name itself after a chain that verified,
     * and its message is then the only witness ("no alternative certificate subject name
     * matches target host name"). */
    bool name_mismatch = verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH ||
                         strstr(errbuf, "host name") != NULL || strstr(errbuf, "subject name") != NULL;
    if (name_mismatch) {
        which = "hostname mismatch: the certificate is not valid for this host name";
    } else {
        switch (verify) {
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: which = "self-signed certificate not trusted"; break;
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            which = "certificate not issued by a trusted CA";
            break;
        case X509_V_ERR_CERT_NOT_YET_VALID:
        case X509_V_ERR_CERT_HAS_EXPIRED: which = "certificate expired or not yet valid"; break;
        default: which = "certificate rejected"; break;
        }
    }
    ota_source_set_error(info, "%s (%s)", which, errbuf[0] ? errbuf : "no detail");
    return OTA_ERR_SRC_TLS_VERIFY;
}

int ota_curl_error(CURL *easy, CURLcode code, const char *errbuf, const ota_source_posix_config_t *cfg,
                   ota_source_info_t *info)
{
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(code);
    int err;
    switch (code) {
    case CURLE_OK: return OTA_OK;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: err = OTA_ERR_SRC_URI; break;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT: err = OTA_ERR_SRC_CONNECT; break;
    case CURLE_OPERATION_TIMEDOUT:
        /* No overall or low-speed timeout is set, so curl times out only while connecting. */
        err = OTA_ERR_SRC_CONNECT_TIMEOUT;
        break;
    case CURLE_PEER_FAILED_VERIFICATION: return tls_verify_error(easy, errbuf, info);
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: err = OTA_ERR_SRC_TLS_VERIFY; break;
    case CURLE_SSL_CACERT_BADFILE:
        ota_source_set_error(info, "cannot load the trusted CA certificates (%s): %s",
                             cfg->cert_pem  ? "cert_pem"
                             : cfg->ca_file ? cfg->ca_file
                                            : "system bundle",
                             detail);
        return OTA_ERR_SRC_TLS;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED: err = OTA_ERR_SRC_TLS; break;
    case CURLE_TOO_MANY_REDIRECTS: err = OTA_ERR_SRC_TOO_MANY_REDIRECTS; break;
    case CURLE_PARTIAL_FILE: /* closed before Content-Length (or the last chunk) */
        err = OTA_ERR_SRC_TRUNCATED;
        break;
    case CURLE_OUT_OF_MEMORY: err = OTA_ERR_NO_MEM; break;
    default: /* RECV_ERROR (reset), SEND_ERROR, GOT_NOTHING, WEIRD_SERVER_REPLY, ... */
        err = OTA_ERR_SRC_READ;
        break;
    }
    ota_source_set_error(info, "%s", detail);
    return err;
}
