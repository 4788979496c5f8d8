/*
 * ESP app image through the streaming validator (what the service does with network bytes), fed
 * in odd chunk sizes derived from the input: 1..N bytes from a generator seeded by the input's
 * last bytes, with hash snapshots taken between chunks as a resume checkpoint does.
 * Property: chunking changes nothing: the verdict, the image length and the segments equal a
 * single feed of the whole buffer.
 */
#include "fuzz.h"

#include "ota/ota_app_image.h"

OTA_FUZZ_QUIET_INIT

static int count_events(void *ctx, ota_image_event_t event, const ota_image_info_t *info)
{
    (void)info;
    ((unsigned *)ctx)[event]++;
    return 0;
}

static int run(const uint8_t *data, size_t size, const ota_image_validator_config_t *cfg, uint32_t seed,
               ota_image_validator_t *v, unsigned events[3])
{
    ota_image_validator_init(v, cfg, count_events, events);
    size_t off = 0;
    int err = 0;
    while (off < size && err == 0) {
        size_t chunk = size - off;
        if (seed != 0) {
            /* xorshift32: sizes 1..0x3FFF spread over the powers of two, many of them odd. */
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            size_t max = (size_t)1 << (seed % 14u);
            chunk = 1 + (seed >> 4) % max;
            if (chunk > size - off) {
                chunk = size - off;
            }
            uint8_t digest[OTA_IMAGE_HASH_LEN];
            uint64_t hashed = 0;
            if (ota_image_validator_hash_snapshot(v, digest, &hashed) == 0) {
                OTA_FUZZ_CHECK(hashed <= off);
            }
        }
        err = ota_image_validator_feed(v, data + off, chunk);
        off += chunk;
    }
    int fin = ota_image_validator_finish(v);
    (void)ota_image_validator_complete(v);
    return err != 0 ? err : fin;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);

    uint32_t seed = 0x9E3779B9u ^ (uint32_t)size;
    for (size_t i = size >= 4 ? size - 4 : 0; i < size; i++) {
        seed = seed * 31u + data[i];
    }
    if (seed == 0) {
        seed = 1;
    }
    ota_image_validator_config_t cfg = {0};
    cfg.keep_going = (seed & 0x100) != 0;
    cfg.ignore_trailing = (seed & 0x200) != 0;
    cfg.allow_missing_app_desc = (seed & 0x400) != 0;
    cfg.expected_size = (seed & 0x800) ? (uint32_t)size : 0;

    static ota_image_validator_t whole;
    static ota_image_validator_t chunked;
    unsigned ev_whole[3] = {0};
    unsigned ev_chunked[3] = {0};
    int a = run(copy, size, &cfg, 0, &whole, ev_whole);
    int b = run(copy, size, &cfg, seed, &chunked, ev_chunked);

    const ota_image_info_t *wi = ota_image_validator_info(&whole);
    const ota_image_info_t *ci = ota_image_validator_info(&chunked);
    OTA_FUZZ_CHECK(a == b);
    OTA_FUZZ_CHECK(wi->header_valid == ci->header_valid);
    OTA_FUZZ_CHECK(wi->complete == ci->complete);
    OTA_FUZZ_CHECK(!wi->complete || wi->image_len == ci->image_len);
    OTA_FUZZ_CHECK(wi->segments_seen == ci->segments_seen);
    OTA_FUZZ_CHECK(memcmp(wi->segments, ci->segments, sizeof wi->segments) == 0);
    OTA_FUZZ_CHECK(wi->hash_read == ci->hash_read);
    OTA_FUZZ_CHECK(!wi->hash_read ||
                   memcmp(wi->hash_calculated, ci->hash_calculated, OTA_IMAGE_HASH_LEN) == 0);
    OTA_FUZZ_CHECK(memcmp(ev_whole, ev_chunked, sizeof ev_whole) == 0);
    free(copy);
    return 0;
}
