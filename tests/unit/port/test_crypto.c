/* Known-answer tests for ota_crypto.h, built once per backend (OpenSSL, Mbed TLS).
 * Vectors: FIPS 180-2 (SHA-256), RFC 1321 (MD5), the CRC-32 check value, and the otadata CRCs
 * listed in reference/esp-idf-formats.md §2.3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/port/ota_crypto.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", d[i]);
    }
}

static void check_sha256(const void *data, size_t len, const char *expect)
{
    uint8_t out[32];
    char text[65];
    ota_sha256(data, len, out);
    hex(out, 32, text);
    assert_string_equal(text, expect);

    /* Streaming in uneven pieces gives the same digest. */
    ota_sha256_ctx_t ctx;
    ota_sha256_init(&ctx);
    const uint8_t *p = data;
    size_t step = 1;
    for (size_t off = 0; off < len; off += step, step = step * 3 + 1) {
        size_t n = len - off < step ? len - off : step;
        ota_sha256_update(&ctx, p + off, n);
    }
    ota_sha256_final(&ctx, out);
    hex(out, 32, text);
    assert_string_equal(text, expect);
}

static void test_sha256_vectors(void **state)
{
    (void)state;
    check_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha256(two_blocks, strlen(two_blocks),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    size_t n = 1000000;
    char *million = malloc(n);
    assert_non_null(million);
    memset(million, 'a', n);
    check_sha256(million, n, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

static void test_md5_vectors(void **state)
{
    (void)state;
    uint8_t out[16];
    char text[33];
    ota_md5("", 0, out);
    hex(out, 16, text);
    assert_string_equal(text, "d41d8cd98f00b204e9800998ecf8427e");
    ota_md5("message digest", 14, out);
    hex(out, 16, text);
    assert_string_equal(text, "f96b697d7cb7938d525a2f31aaf161d0");
}

static void test_crc32_vectors(void **state)
{
    (void)state;
    assert_int_equal(ota_crc32_le(0, "123456789", 9), 0xCBF43926u);
    /* Chunked feeding continues the CRC. */
    uint32_t c = ota_crc32_le(0, "1234", 4);
    assert_int_equal(ota_crc32_le(c, "56789", 5), 0xCBF43926u);
    /* otadata CRC = crc32(0xFFFFFFFF, seq_le, 4) */
    struct {
        uint32_t seq, crc;
    } v[] = {
        {0, 0xFFFFFFFFu}, {1, 0x4743989Au}, {2, 0x55F63774u},
        {3, 0xED4A5011u}, {4, 0x709D68A8u}, {0xFFFFFFFEu, 0x99F8B879u},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t le[4] = {(uint8_t)v[i].seq, (uint8_t)(v[i].seq >> 8), (uint8_t)(v[i].seq >> 16),
                         (uint8_t)(v[i].seq >> 24)};
        assert_int_equal(ota_crc32_le(0xFFFFFFFFu, le, 4), v[i].crc);
    }
}

static void test_backend_name(void **state)
{
    (void)state;
    assert_non_null(strstr(ota_crypto_backend(), EXPECT_BACKEND));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_md5_vectors),
        cmocka_unit_test(test_crc32_vectors),
        cmocka_unit_test(test_backend_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
