/* The vectors of testdata/secure (README there) shared by the secure/ tests: one executable per
 * crypto backend, built from test_secure_vectors.c (helpers, main), test_sig_vectors.c (known
 * answers, Secure Boot V2 signature blocks) and test_enc_img_vectors.c (esp_encrypted_img). */
#ifndef OTA_TEST_SECURE_VECTORS_H
#define OTA_TEST_SECURE_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "ts_file.h"

#define SECURE OTA_TESTDATA_DIR "/secure/"

typedef ts_blob_t blob_t;

/** The whole of testdata/secure/@p name, with one spare byte (asserts it is there). */
blob_t load(const char *name);
void hexstr(const uint8_t *d, size_t n, char *out);
void put_le32(uint8_t *p, uint32_t v);

/* test_sig_vectors.c */
void test_sha384_fips(void **state);
void test_hkdf_rfc5869(void **state);
void test_pbkdf2_rfc7914(void **state);
void test_vectors_parse_digest_verify(void **state);
void test_tampered_blocks(void **state);
void test_chip_rule_in_trust(void **state);
void test_tampered_image_and_padding(void **state);
void test_streaming_verifier(void **state);
void test_sector_offsets_and_bad_input(void **state);

/* test_enc_img_vectors.c */
void test_decrypt_vectors(void **state);
void test_decrypt_failures(void **state);
void test_decrypt_header_done(void **state);
void test_decrypt_trailing(void **state);
void test_decrypt_resume(void **state);
void test_ecies_device_public_key(void **state);

#endif /* OTA_TEST_SECURE_VECTORS_H */
