/* Streaming MD5 (ota_md5_init/update/final in ota_crypto.h), built once per crypto backend
 * (OpenSSL, Mbed TLS, PSA): the test suite of RFC 1321 appendix A.5, fed whole, byte by byte and in
 * uneven pieces, plus a context used twice. ESP-ADF's MD5 verifier runs on this. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ota/port/ota_crypto.h"

/* RFC 1321, A.5 "Test suite" */
static const struct {
    const char *msg;
    const char *md5;
} k_rfc1321[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
};

static void hex(const uint8_t *d, char *out)
{
    for (size_t i = 0; i < OTA_MD5_LEN; i++) {
        sprintf(out + 2 * i, "%02x", d[i]);
    }
}

static void digest_in_pieces(const char *msg, size_t piece, char text[33])
{
    ota_md5_ctx_t ctx;
    uint8_t out[OTA_MD5_LEN];
    size_t len = strlen(msg);
    ota_md5_init(&ctx);
    for (size_t at = 0; at < len; at += piece) {
        size_t n = len - at < piece ? len - at : piece;
        ota_md5_update(&ctx, msg + at, n);
    }
    ota_md5_final(&ctx, out);
    hex(out, text);
}

static void test_rfc1321_whole(void **state)
{
    (void)state;
    char text[33];
    for (size_t i = 0; i < sizeof k_rfc1321 / sizeof k_rfc1321[0]; i++) {
        digest_in_pieces(k_rfc1321[i].msg, 1000, text);
        assert_string_equal(text, k_rfc1321[i].md5);
    }
}

static void test_rfc1321_pieces(void **state)
{
    (void)state;
    static const size_t pieces[] = {1, 3, 7, 63, 64, 65};
    char text[33];
    for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
        for (size_t i = 0; i < sizeof k_rfc1321 / sizeof k_rfc1321[0]; i++) {
            digest_in_pieces(k_rfc1321[i].msg, pieces[p], text);
            assert_string_equal(text, k_rfc1321[i].md5);
        }
    }
}

/* A context is set up again by init after a final (the verifier's reset on a new install). */
static void test_context_reused(void **state)
{
    (void)state;
    ota_md5_ctx_t ctx;
    uint8_t out[OTA_MD5_LEN];
    char text[33];
    ota_md5_init(&ctx);
    ota_md5_update(&ctx, "abc", 3);
    ota_md5_final(&ctx, out);
    ota_md5_init(&ctx);
    ota_md5_update(&ctx, "message ", 8);
    ota_md5_update(&ctx, "digest", 6);
    ota_md5_final(&ctx, out);
    hex(out, text);
    assert_string_equal(text, "f96b697d7cb7938d525a2f31aaf161d0");
    /* and the one-shot agrees with it on a million-byte input */
    static uint8_t big[1000000];
    memset(big, 'a', sizeof big);
    uint8_t once[OTA_MD5_LEN];
    ota_md5(big, sizeof big, once);
    ota_md5_init(&ctx);
    for (size_t at = 0; at < sizeof big; at += 4093) {
        ota_md5_update(&ctx, big + at, sizeof big - at < 4093 ? sizeof big - at : 4093);
    }
    ota_md5_final(&ctx, out);
    assert_memory_equal(out, once, OTA_MD5_LEN);
    hex(out, text);
    assert_string_equal(text, "7707d6ae4e027c70eea2a935c2296f21"); /* Python hashlib.md5(b"a" * 10**6) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1321_whole),
        cmocka_unit_test(test_rfc1321_pieces),
        cmocka_unit_test(test_context_reused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
