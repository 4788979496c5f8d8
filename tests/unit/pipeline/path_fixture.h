/* The pieces the data path's tests (test_path.c, test_stage_resume.c) share: an XOR
 * de-obfuscation test stage, a spy verifier, the default app procedure with them added through
 * the public ota_path.h API, and helpers on the RAM device of service_fixture.h. */
#ifndef OTA_TEST_PATH_FIXTURE_H
#define OTA_TEST_PATH_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_path.h"
#include "ota/ota_service.h"
#include "service_fixture.h"

#define XOR_HEADER 16u

typedef struct {
    uint8_t header[XOR_HEADER];
    uint32_t header_got;
    uint32_t body_len;
    uint8_t key;
    uint32_t pos; /* body bytes produced */
    uint32_t crc; /* of the plain bytes produced */
    uint8_t trailer[4];
    uint32_t trailer_got;
    /* test bookkeeping */
    int resets, restores, rebuilds;
    uint64_t rebuilt_bytes;
} xor_stage_t;

typedef struct {
    uint64_t fed;
    ota_sha256_ctx_t sha;
    uint8_t digest[32];
    bool reject_at_finish;
    uint64_t reject_after; /* feed fails once more than this many bytes came; 0 = never */
    int finishes;
} spy_verifier_t;

extern xor_stage_t g_xor;
extern ota_stage_t g_stage;
extern spy_verifier_t g_spy;
extern bool g_add_stage, g_add_verifier;

uint32_t get32(const uint8_t *p);
void put32(uint8_t *p, uint32_t v);
uint8_t xor_key_at(uint8_t key, uint32_t i);
int xor_reset(void *arg);
int xor_process(void *arg, const uint8_t *in, size_t in_len, size_t *in_used, uint8_t *out, size_t out_cap,
                size_t *out_len);
int xor_finish(void *arg, uint8_t *out, size_t out_cap, size_t *out_len);
int xor_save(void *arg, uint8_t *buf, size_t cap, size_t *len);
int xor_restore(void *arg, const uint8_t *buf, size_t len);
int xor_rebuild(void *arg, const uint8_t *prefix, size_t len);
ota_stage_t xor_stage(ota_stage_resume_t resume);
char *make_xor_file(sf_device_t *d, const char *name, const uint8_t *plain, size_t len, uint8_t key);
int spy_reset(void *arg);
int spy_feed(void *arg, const uint8_t *data, size_t len);
int spy_finish(void *arg, uint64_t total, ota_staged_read_fn read, void *read_arg);
const char *spy_message(void *arg);
int custom_prepare(ota_service_t *service, void **handle, ota_node_attr_t *node);
ota_upgrade_ops_t custom_item(const char *uri);
void setup_pieces(bool stage, ota_stage_resume_t resume, bool verifier);
uint8_t *plain_app(sf_device_t *d, const char *name, uint32_t size, char **uri_out, size_t *len);
void assert_nothing_committed(sf_device_t *d);

#endif /* OTA_TEST_PATH_FIXTURE_H */
