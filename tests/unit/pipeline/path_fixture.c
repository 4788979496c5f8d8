/* The shared pieces of the data path's tests; see path_fixture.h. */
#include "path_fixture.h"

#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "formats/ota_install_journal.h"
#include "ota/ota_path.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_update_features.h"

/* --- a test stage: XOR de-obfuscation with a header and a CRC trailer ------------------------ */

/* Obfuscated file: "XOR1", u32 body length, u8 key, 7 zero bytes (16-byte header, dropped), the
 * body (plain[i] ^ (key + 13 * i)), then u32 CRC-32 of the plain body (checked by finish, as a
 * GCM tag would be). */

uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

uint8_t xor_key_at(uint8_t key, uint32_t i)
{
    return (uint8_t)(key + 13u * i);
}

int xor_reset(void *arg)
{
    xor_stage_t *x = arg;
    int resets = x->resets + 1, restores = x->restores, rebuilds = x->rebuilds;
    uint64_t rebuilt = x->rebuilt_bytes;
    memset(x, 0, sizeof *x);
    x->resets = resets;
    x->restores = restores;
    x->rebuilds = rebuilds;
    x->rebuilt_bytes = rebuilt;
    return OTA_OK;
}

int xor_process(void *arg, const uint8_t *in, size_t in_len, size_t *in_used, uint8_t *out, size_t out_cap,
                size_t *out_len)
{
    xor_stage_t *x = arg;
    size_t used = 0, made = 0;
    while (used < in_len) {
        if (x->header_got < XOR_HEADER) {
            size_t n =
                XOR_HEADER - x->header_got < in_len - used ? XOR_HEADER - x->header_got : in_len - used;
            memcpy(x->header + x->header_got, in + used, n);
            x->header_got += (uint32_t)n;
            used += n;
            if (x->header_got == XOR_HEADER) {
                if (memcmp(x->header, "XOR1", 4) != 0) {
                    return OTA_ERR_INVALID_ARG;
                }
                x->body_len = get32(x->header + 4);
                x->key = x->header[8];
            }
        } else if (x->pos < x->body_len) {
            if (made == out_cap) {
                break;
            }
            size_t n = in_len - used;
            n = n < out_cap - made ? n : out_cap - made;
            n = n < x->body_len - x->pos ? n : x->body_len - x->pos;
            for (size_t i = 0; i < n; i++) {
                out[made + i] = in[used + i] ^ xor_key_at(x->key, x->pos + (uint32_t)i);
            }
            x->crc = ota_crc32_le(x->crc, out + made, n);
            x->pos += (uint32_t)n;
            used += n;
            made += n;
        } else if (x->trailer_got < 4) {
            x->trailer[x->trailer_got++] = in[used++];
        } else {
            return OTA_ERR_IMG_TRAILING_DATA;
        }
    }
    *in_used = used;
    *out_len = made;
    return OTA_OK;
}

int xor_finish(void *arg, uint8_t *out, size_t out_cap, size_t *out_len)
{
    (void)out;
    (void)out_cap;
    xor_stage_t *x = arg;
    *out_len = 0;
    if (x->header_got < XOR_HEADER || x->pos < x->body_len || x->trailer_got < 4) {
        return OTA_ERR_IMG_TRUNCATED;
    }
    return get32(x->trailer) == x->crc ? OTA_OK : OTA_ERR_IMG_CHECKSUM;
}

/* Saved state: header (16), header_got, pos, crc, trailer_got, trailer: 32 bytes. */
int xor_save(void *arg, uint8_t *buf, size_t cap, size_t *len)
{
    xor_stage_t *x = arg;
    if (cap < 32) {
        return OTA_ERR_INVALID_SIZE;
    }
    memcpy(buf, x->header, XOR_HEADER);
    put32(buf + 16, x->header_got);
    put32(buf + 20, x->pos);
    put32(buf + 24, x->crc);
    buf[28] = (uint8_t)x->trailer_got;
    memcpy(buf + 29, x->trailer, 3);
    *len = 32;
    return OTA_OK;
}

int xor_restore(void *arg, const uint8_t *buf, size_t len)
{
    xor_stage_t *x = arg;
    if (len != 32) {
        return OTA_ERR_INVALID_SIZE;
    }
    memcpy(x->header, buf, XOR_HEADER);
    x->header_got = get32(buf + 16);
    x->body_len = get32(x->header + 4);
    x->key = x->header[8];
    x->pos = get32(buf + 20);
    x->crc = get32(buf + 24);
    x->trailer_got = buf[28];
    memcpy(x->trailer, buf + 29, 3);
    x->restores++;
    return OTA_OK;
}

/* Rebuild: the CRC and the position from the plain prefix on flash (as GCM rebuilds GHASH). */
int xor_rebuild(void *arg, const uint8_t *prefix, size_t len)
{
    xor_stage_t *x = arg;
    x->crc = ota_crc32_le(x->crc, prefix, len);
    x->pos += (uint32_t)len;
    x->rebuilds++;
    x->rebuilt_bytes += len;
    return OTA_OK;
}

xor_stage_t g_xor;
ota_stage_t g_stage;

ota_stage_t xor_stage(ota_stage_resume_t resume)
{
    ota_stage_t s = {.name = "xor",
                     .reset = xor_reset,
                     .process = xor_process,
                     .finish = xor_finish,
                     .resume = resume,
                     .ctx = &g_xor};
    if (resume == OTA_STAGE_RESUME_STATE) {
        s.save = xor_save;
        s.restore = xor_restore;
    } else if (resume == OTA_STAGE_RESUME_REBUILD) {
        s.rebuild = xor_rebuild;
    }
    return s;
}

/* Obfuscate @p plain into d->dir/name; returns the file:// URI. */
char *make_xor_file(sf_device_t *d, const char *name, const uint8_t *plain, size_t len, uint8_t key)
{
    size_t total = XOR_HEADER + len + 4;
    uint8_t *buf = calloc(1, total);
    memcpy(buf, "XOR1", 4);
    put32(buf + 4, (uint32_t)len);
    buf[8] = key;
    for (size_t i = 0; i < len; i++) {
        buf[XOR_HEADER + i] = plain[i] ^ xor_key_at(key, (uint32_t)i);
    }
    put32(buf + XOR_HEADER + len, ota_crc32_le(0, plain, len));
    char *uri = sf_make_file(d, name, buf, total);
    free(buf);
    return uri;
}

/* --- a test verifier: counts and hashes what it sees, rejects on demand ---------------------- */

spy_verifier_t g_spy;

int spy_reset(void *arg)
{
    spy_verifier_t *v = arg;
    v->fed = 0;
    ota_sha256_init(&v->sha);
    return OTA_OK;
}

int spy_feed(void *arg, const uint8_t *data, size_t len)
{
    spy_verifier_t *v = arg;
    v->fed += len;
    ota_sha256_update(&v->sha, data, len);
    return v->reject_after != 0 && v->fed > v->reject_after ? OTA_ERR_IMG_SIGNATURE : OTA_OK;
}

int spy_finish(void *arg, uint64_t total, ota_staged_read_fn read, void *read_arg)
{
    spy_verifier_t *v = arg;
    v->finishes++;
    ota_sha256_final(&v->sha, v->digest);
    /* the staged image reads back as what was fed: its first bytes are the image header */
    uint8_t magic;
    if (total != v->fed || read(read_arg, 0, &magic, 1) != OTA_OK || magic != 0xE9) {
        return OTA_ERR_INVALID_STATE;
    }
    return v->reject_at_finish ? OTA_ERR_IMG_SIGNATURE : OTA_OK;
}

const char *spy_message(void *arg)
{
    (void)arg;
    return "spy verifier: signature rejected";
}

/* --- procedures: the default app procedure plus our pieces ------------------------------------ */

bool g_add_stage, g_add_verifier;

int custom_prepare(ota_service_t *service, void **handle, ota_node_attr_t *node)
{
    int err = ota_app_default_prepare(service, handle, node);
    if (err == OTA_OK && g_add_stage) {
        err = ota_path_add_stage(*handle, &g_stage);
    }
    if (err == OTA_OK && g_add_verifier) {
        ota_verifier_t v = {.name = "spy",
                            .reset = spy_reset,
                            .feed = spy_feed,
                            .finish = spy_finish,
                            .message = spy_message,
                            .ctx = &g_spy};
        err = ota_path_add_verifier(*handle, &v);
    }
    return err;
}

ota_upgrade_ops_t custom_item(const char *uri)
{
    ota_upgrade_ops_t item = sf_app_item(uri, true);
    item.prepare = custom_prepare;
    return item;
}

void setup_pieces(bool stage, ota_stage_resume_t resume, bool verifier)
{
    memset(&g_xor, 0, sizeof g_xor);
    memset(&g_spy, 0, sizeof g_spy);
    g_stage = xor_stage(resume);
    g_add_stage = stage;
    g_add_verifier = verifier;
}

uint8_t *plain_app(sf_device_t *d, const char *name, uint32_t size, char **uri_out, size_t *len)
{
    char *uri = sf_make_app(d, name, "v2.3", size, 7);
    uint8_t *plain = ts_read_file(uri + strlen("file://"), len);
    *uri_out = uri;
    return plain;
}

/* The old app still boots and ota_1 is not a valid image. */
void assert_nothing_committed(sf_device_t *d)
{
    assert_true(ota_journal_is_present(sf_partition_bytes(d, "ota_1", NULL), 4));
    ota_device_set_running(&d->dev, NULL);
    assert_int_equal(ota_bootloader_run(&d->dev, NULL), OTA_OK);
    assert_string_equal(ota_device_running(&d->dev)->label, "ota_0");
}
