/* Synthetic esptool-compatible app images (see ota_app_image_builder.h). Pure.
 *
 * Layout first, bytes second: plan_layout() replays esptool's ESP32FirmwareImage.save() on segment
 * lengths only, so the segment count and the exact size are known before anything is written, and
 * emit() then streams the bytes (payload from a per-segment pseudo-random stream) without holding
 * the image. */
#include "ota/sim/ota_app_image_builder.h"

#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"

#define ALIGN   OTA_IMAGE_MMU_PAGE_DEFAULT /* esptool IROM_ALIGN */
#define SEG_HDR OTA_IMAGE_SEGMENT_HEADER_SIZE

enum {
    SEG_DROM,
    SEG_IROM,
    SEG_DRAM,
    SEG_IRAM,
    SEG_KINDS
};

/* Where a chip's segments live (addresses as ESP-IDF's linker scripts place them). */
typedef struct {
    uint16_t chip;
    uint32_t drom_base, irom_base, dram_addr, iram_addr;
    bool drom_after_irom; /* one MMU for both buses: DROM pages follow IROM's (S3, C3) */
    bool esp32_page_fix;  /* esptool's ESP32 workaround in save_flash_segment() */
} chip_layout_t;

static const chip_layout_t k_layouts[] = {
    {OTA_CHIP_ESP32, 0x3F400000, 0x400D0000, 0x3FFB0000, 0x40080000, false, true},
    {OTA_CHIP_ESP32S2, 0x3F000000, 0x40080000, 0x3FFB0000, 0x40022000, false, false},
    {OTA_CHIP_ESP32S3, 0x3C000000, 0x42000000, 0x3FC90000, 0x40374000, true, false},
    {OTA_CHIP_ESP32C3, 0x3C000000, 0x42000000, 0x3FC8A000, 0x40380000, true, false},
    {OTA_CHIP_ESP32C6, 0x42800000, 0x42000000, 0x40818000, 0x40800000, false, false},
};

/* One segment as written: a slice of a logical segment (or zero padding) plus trailing zeros. */
typedef struct {
    uint32_t addr;
    uint32_t len;     /* total data length written, extra included */
    int source;       /* SEG_* or -1 for esptool's zero padding segment */
    uint32_t src_off; /* offset in the logical segment */
    uint32_t extra;   /* zero bytes appended (ESP32 page workaround) */
} piece_t;

typedef struct {
    const chip_layout_t *chip;
    bool has_irom;
    uint32_t len[SEG_KINDS];
    uint32_t addr[SEG_KINDS];
    int ram_order[2]; /* RAM segments sorted by address: [0] fills gaps, [1] ends the image */
    piece_t pieces[OTA_IMAGE_MAX_SEGMENTS];
    int piece_count;
    uint32_t unpadded;
    uint32_t total;
} layout_t;

static const chip_layout_t *chip_layout(uint16_t chip)
{
    for (size_t i = 0; i < sizeof k_layouts / sizeof k_layouts[0]; i++) {
        if (k_layouts[i].chip == chip) {
            return &k_layouts[i];
        }
    }
    return NULL;
}

static uint32_t align4(uint64_t v)
{
    return (uint32_t)(v & ~(uint64_t)3);
}

static uint32_t clamp32(uint32_t v, uint32_t lo, uint32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* esptool get_alignment_data_needed(): data bytes of a padding segment so that the next
 * segment's data lands on file offset == vaddr (mod 64 KiB). */
static int64_t alignment_needed(uint32_t pos, uint32_t vaddr)
{
    int64_t align_past = (int64_t)(vaddr % ALIGN) - SEG_HDR;
    int64_t pad = (int64_t)(ALIGN - pos % ALIGN) + align_past;
    if (pad == 0 || pad == ALIGN) {
        return 0;
    }
    pad -= SEG_HDR;
    if (pad < 0) {
        pad += ALIGN;
    }
    return pad;
}

static int add_piece(layout_t *l, uint32_t addr, uint32_t len, int source, uint32_t off, uint32_t extra)
{
    if (l->piece_count >= (int)OTA_IMAGE_MAX_SEGMENTS) {
        return OTA_ERR_INVALID_SIZE;
    }
    l->pieces[l->piece_count++] = (piece_t){addr, len + extra, source, off, extra};
    return OTA_OK;
}

/* Replay of ESP32FirmwareImage.save() on lengths. */
static int plan_layout(layout_t *l)
{
    const chip_layout_t *c = l->chip;
    uint32_t irom_span = l->has_irom ? ((0x20 + l->len[SEG_IROM] + ALIGN - 1) / ALIGN) * ALIGN : 0;
    l->addr[SEG_DROM] = c->drom_base + (c->drom_after_irom ? irom_span : 0) + 0x20;
    l->addr[SEG_IROM] = c->irom_base + 0x20;
    l->addr[SEG_DRAM] = c->dram_addr;
    l->addr[SEG_IRAM] = c->iram_addr;
    bool dram_first = c->dram_addr < c->iram_addr;
    l->ram_order[0] = dram_first ? SEG_DRAM : SEG_IRAM;
    l->ram_order[1] = dram_first ? SEG_IRAM : SEG_DRAM;

    int flash[2] = {SEG_DROM, SEG_IROM}; /* the app description segment goes first */
    int flash_count = l->has_irom ? 2 : 1;
    uint32_t ram_addr[2], ram_off[2] = {0, 0}, ram_left[2];
    for (int i = 0; i < 2; i++) {
        ram_addr[i] = l->addr[l->ram_order[i]];
        ram_left[i] = l->len[l->ram_order[i]];
    }
    int ram_next = 0;
    l->piece_count = 0;
    uint32_t pos = OTA_IMAGE_HEADER_SIZE;
    int fi = 0;
    while (fi < flash_count) {
        int seg = flash[fi];
        int64_t pad = alignment_needed(pos, l->addr[seg]);
        int err;
        if (pad > 0) {
            if (ram_next < 2 && pad > SEG_HDR) {
                uint32_t take = ram_left[ram_next] < pad ? ram_left[ram_next] : (uint32_t)pad;
                err = add_piece(l, ram_addr[ram_next], take, l->ram_order[ram_next], ram_off[ram_next], 0);
                ram_addr[ram_next] += take;
                ram_off[ram_next] += take;
                ram_left[ram_next] -= take;
                if (ram_left[ram_next] == 0) {
                    ram_next++;
                }
                pos += SEG_HDR + take;
            } else {
                err = add_piece(l, 0, (uint32_t)pad, -1, 0, 0);
                pos += SEG_HDR + (uint32_t)pad;
            }
        } else {
            uint32_t extra = 0;
            if (c->esp32_page_fix) {
                uint32_t rem = (pos + l->len[seg] + SEG_HDR) % ALIGN;
                if (rem < 0x24) {
                    extra = 0x24 - rem;
                }
            }
            err = add_piece(l, l->addr[seg], l->len[seg], seg, 0, extra);
            pos += SEG_HDR + l->len[seg] + extra;
            fi++;
        }
        if (err != OTA_OK) {
            return err;
        }
    }
    for (; ram_next < 2; ram_next++) {
        if (ram_left[ram_next] > 0) {
            int err = add_piece(l, ram_addr[ram_next], ram_left[ram_next], l->ram_order[ram_next],
                                ram_off[ram_next], 0);
            if (err != OTA_OK) {
                return err;
            }
            pos += SEG_HDR + ram_left[ram_next];
        }
    }
    l->unpadded = pos;
    l->total = ((pos + 1 + 15) & ~15u) + OTA_IMAGE_HASH_LEN;
    return OTA_OK;
}

/* Move the length of segment @p seg until the image is @p target bytes (each step is exact unless
 * a layout rule adds bytes, hence the few rounds). */
static int fit(layout_t *l, int seg, uint32_t target, uint32_t min_len)
{
    for (int round = 0; round < 8; round++) {
        int err = plan_layout(l);
        if (err != OTA_OK) {
            return err;
        }
        if (l->total == target) {
            return OTA_OK;
        }
        int64_t want = (int64_t)l->len[seg] + ((int64_t)target - (int64_t)l->total);
        if (want < (int64_t)min_len) {
            return OTA_ERR_INVALID_SIZE;
        }
        l->len[seg] = align4((uint64_t)want);
    }
    return plan_layout(l);
}

static int check_str(const char *s, size_t max)
{
    return (s != NULL && strlen(s) > max) ? OTA_ERR_INVALID_ARG : OTA_OK;
}

typedef struct {
    ota_image_header_t header;
    ota_app_desc_t desc;
    layout_t layout;
} build_t;

static int prepare(const ota_app_image_build_config_t *cfg, build_t *b)
{
    memset(b, 0, sizeof *b);
    if (cfg == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    const ota_chip_info_t *chip = ota_chip_info(cfg->chip_id);
    const chip_layout_t *cl = chip_layout(cfg->chip_id);
    if (chip == NULL || cl == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (check_str(cfg->version, 31) || check_str(cfg->project_name, 31) || check_str(cfg->idf_ver, 31) ||
        check_str(cfg->time, 15) || check_str(cfg->date, 15)) {
        return OTA_ERR_INVALID_ARG;
    }
    uint32_t size = cfg->size != 0 ? cfg->size : OTA_APP_IMAGE_BUILD_DEFAULT_SIZE;
    if (size < OTA_APP_IMAGE_BUILD_MIN_SIZE || size > OTA_APP_IMAGE_BUILD_MAX_SIZE) {
        return OTA_ERR_INVALID_SIZE;
    }
    uint32_t target = size & ~15u;

    ota_image_header_t *h = &b->header;
    h->magic = OTA_IMAGE_MAGIC;
    h->spi_mode = OTA_IMAGE_SPI_DIO;
    if (cfg->flash_mode != NULL && !ota_image_flash_mode_parse(cfg->flash_mode, &h->spi_mode)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!ota_image_flash_freq_parse(cfg->chip_id, cfg->flash_freq ? cfg->flash_freq : "40m", &h->spi_speed)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!ota_image_flash_size_parse(cfg->flash_size ? cfg->flash_size : "4MB", &h->spi_size)) {
        return OTA_ERR_INVALID_ARG;
    }
    h->wp_pin = OTA_IMAGE_WP_PIN_DISABLED;
    h->chip_id = cfg->chip_id;
    h->min_chip_rev_full = cfg->min_rev_full;
    h->min_chip_rev =
        (uint8_t)(cfg->chip_id == OTA_CHIP_ESP32C3 ? cfg->min_rev_full % 100 : cfg->min_rev_full / 100);
    h->max_chip_rev_full = cfg->max_rev_full != 0 ? cfg->max_rev_full : chip->default_max_rev_full;
    h->hash_appended = 1;

    ota_app_desc_t *d = &b->desc;
    d->magic_word = OTA_APP_DESC_MAGIC;
    d->secure_version = cfg->secure_version;
    strcpy(d->version, cfg->version ? cfg->version : "1.0.0");
    strcpy(d->project_name, cfg->project_name ? cfg->project_name : "app");
    strcpy(d->idf_ver, cfg->idf_ver ? cfg->idf_ver : "v5.5.4");
    strcpy(d->time, cfg->time ? cfg->time : "00:00:00");
    strcpy(d->date, cfg->date ? cfg->date : "Jan  1 2026");
    d->max_efuse_blk_rev_full = 99;
    d->mmu_page_size = 16; /* log2(64 KiB) */
    if (cfg->elf_sha256 != NULL) {
        memcpy(d->app_elf_sha256, cfg->elf_sha256, 32);
    } else {
        /* A stand-in for the ELF's hash: same identity, same value. */
        ota_sha256_ctx_t sha;
        uint8_t tail[14] = {(uint8_t)cfg->chip_id, (uint8_t)(cfg->chip_id >> 8)};
        for (int i = 0; i < 8; i++) {
            tail[2 + i] = (uint8_t)(cfg->seed >> (8 * i));
        }
        for (int i = 0; i < 4; i++) {
            tail[10 + i] = (uint8_t)(target >> (8 * i));
        }
        ota_sha256_init(&sha);
        ota_sha256_update(&sha, "ota image make", 15);
        ota_sha256_update(&sha, d->project_name, strlen(d->project_name) + 1);
        ota_sha256_update(&sha, d->version, strlen(d->version) + 1);
        ota_sha256_update(&sha, d->idf_ver, strlen(d->idf_ver) + 1);
        ota_sha256_update(&sha, tail, sizeof tail);
        ota_sha256_final(&sha, d->app_elf_sha256);
    }

    layout_t *l = &b->layout;
    l->chip = cl;
    l->has_irom = target >= OTA_APP_IMAGE_BUILD_IROM_THRESHOLD;
    int err;
    if (l->has_irom) {
        /* Proportions of a typical app; IROM takes whatever is left. */
        l->len[SEG_DROM] = align4(target / 4);
        l->len[SEG_IROM] = 4;
        l->len[SEG_DRAM] = l->len[SEG_IRAM] = 0;
        int filler = cl->dram_addr < cl->iram_addr ? SEG_DRAM : SEG_IRAM;
        int tail = filler == SEG_DRAM ? SEG_IRAM : SEG_DRAM;
        /* The filler RAM segment first pays for the gap before IROM (as in real images, where
         * esptool splits it), then keeps a part of its own. */
        l->len[filler] = ALIGN * 2;
        if ((err = plan_layout(l)) != OTA_OK) {
            return err;
        }
        uint32_t gap = l->pieces[1].source == filler ? l->pieces[1].len : 0;
        l->len[filler] = gap + clamp32(align4(target / 64), 0x100, 0x2000);
        l->len[tail] = clamp32(align4(target / 16), 0x400, 0x14000);
        err = fit(l, SEG_IROM, target, 4);
        if (err == OTA_OK && l->total != target) {
            err = fit(l, tail, target, 4);
        }
    } else {
        l->len[SEG_DROM] = target / 2 > OTA_APP_DESC_SIZE ? align4(target / 2) : OTA_APP_DESC_SIZE;
        int tail = cl->dram_addr < cl->iram_addr ? SEG_IRAM : SEG_DRAM;
        l->len[tail == SEG_IRAM ? SEG_DRAM : SEG_IRAM] = clamp32(align4(target / 8), 4, 0x8000);
        l->len[tail] = 4;
        err = fit(l, tail, target, 4);
    }
    if (err != OTA_OK) {
        return err;
    }
    if (l->total != target) {
        return OTA_ERR_INVALID_SIZE;
    }
    h->segment_count = (uint8_t)l->piece_count;
    h->entry_addr = l->addr[SEG_IRAM] + (align4(l->len[SEG_IRAM] / 2));
    return OTA_OK;
}

static void fill_plan(const build_t *b, ota_app_image_build_plan_t *plan)
{
    if (plan == NULL) {
        return;
    }
    memset(plan, 0, sizeof *plan);
    const layout_t *l = &b->layout;
    plan->image_size = l->total;
    plan->segment_count = (uint8_t)l->piece_count;
    plan->entry_addr = b->header.entry_addr;
    uint32_t pos = OTA_IMAGE_HEADER_SIZE;
    for (int i = 0; i < l->piece_count; i++) {
        plan->segments[i].header_offset = pos;
        plan->segments[i].load_addr = l->pieces[i].addr;
        plan->segments[i].data_len = l->pieces[i].len;
        pos += SEG_HDR + l->pieces[i].len;
    }
}

int ota_app_image_build_plan(const ota_app_image_build_config_t *cfg, ota_app_image_build_plan_t *plan)
{
    build_t b;
    int err = prepare(cfg, &b);
    if (err == OTA_OK) {
        fill_plan(&b, plan);
    }
    return err;
}

/* --- emitting -------------------------------------------------------------------------------- */

/* splitmix64 stream per logical segment; pieces of one segment are emitted in offset order, so
 * each stream is read strictly sequentially. */
typedef struct {
    uint64_t state;
    uint8_t word[8];
    unsigned avail;
} rng_t;

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_fill(rng_t *r, uint8_t *out, size_t n)
{
    while (n > 0) {
        if (r->avail == 0) {
            uint64_t w = splitmix64(&r->state);
            for (int i = 0; i < 8; i++) {
                r->word[i] = (uint8_t)(w >> (8 * i));
            }
            r->avail = 8;
        }
        size_t take = n < r->avail ? n : r->avail;
        memcpy(out, r->word + (8 - r->avail), take);
        r->avail -= (unsigned)take;
        out += take;
        n -= take;
    }
}

typedef struct {
    ota_app_image_write_fn write;
    void *ctx;
    ota_sha256_ctx_t sha;
    uint8_t xor_sum;
} sink_t;

static int put(sink_t *s, const void *data, size_t len, bool data_bytes)
{
    if (data_bytes) {
        const uint8_t *p = data;
        for (size_t i = 0; i < len; i++) {
            s->xor_sum ^= p[i];
        }
    }
    ota_sha256_update(&s->sha, data, len);
    return s->write(s->ctx, data, len);
}

int ota_app_image_build(const ota_app_image_build_config_t *cfg, ota_app_image_write_fn write, void *ctx,
                        ota_app_image_build_plan_t *plan)
{
    if (write == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    build_t b;
    int err = prepare(cfg, &b);
    if (err != OTA_OK) {
        return err;
    }
    fill_plan(&b, plan);
    const layout_t *l = &b.layout;

    sink_t s = {.write = write, .ctx = ctx, .xor_sum = OTA_IMAGE_CHECKSUM_SEED};
    ota_sha256_init(&s.sha);
    uint8_t buf[256];
    ota_image_header_encode(&b.header, buf);
    if ((err = put(&s, buf, OTA_IMAGE_HEADER_SIZE, false)) != OTA_OK) {
        return err;
    }
    rng_t rng[SEG_KINDS];
    for (int k = 0; k < SEG_KINDS; k++) {
        rng[k] = (rng_t){.state = cfg->seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(k + 1))};
    }
    uint8_t desc_raw[OTA_APP_DESC_SIZE];
    ota_app_desc_encode(&b.desc, desc_raw);

    for (int i = 0; i < l->piece_count; i++) {
        const piece_t *pc = &l->pieces[i];
        ota_image_segment_header_t sh = {pc->addr, pc->len};
        ota_image_segment_header_encode(&sh, buf);
        if ((err = put(&s, buf, SEG_HDR, false)) != OTA_OK) {
            return err;
        }
        uint32_t payload = pc->len - pc->extra;
        for (uint32_t done = 0; done < pc->len;) {
            uint32_t n = pc->len - done < sizeof buf ? pc->len - done : (uint32_t)sizeof buf;
            for (uint32_t j = 0; j < n;) {
                uint32_t at = done + j; /* offset inside this piece */
                uint32_t run;
                if (at >= payload || pc->source < 0) {
                    run = n - j;
                    memset(buf + j, 0, run);
                } else {
                    uint32_t src = pc->src_off + at;
                    run = (payload - at) < (n - j) ? payload - at : n - j;
                    if (pc->source == SEG_DROM && src < OTA_APP_DESC_SIZE) {
                        run = run < OTA_APP_DESC_SIZE - src ? run : OTA_APP_DESC_SIZE - src;
                        memcpy(buf + j, desc_raw + src, run);
                    } else {
                        rng_fill(&rng[pc->source], buf + j, run);
                    }
                }
                j += run;
            }
            if ((err = put(&s, buf, n, true)) != OTA_OK) {
                return err;
            }
            done += n;
        }
    }
    uint32_t pad = (l->total - OTA_IMAGE_HASH_LEN) - l->unpadded;
    memset(buf, 0, pad);
    buf[pad - 1] = s.xor_sum;
    if ((err = put(&s, buf, pad, false)) != OTA_OK) {
        return err;
    }
    uint8_t digest[OTA_IMAGE_HASH_LEN];
    ota_sha256_final(&s.sha, digest);
    return write(ctx, digest, sizeof digest);
}

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
} buffer_sink_t;

static int buffer_write(void *ctx, const void *data, size_t len)
{
    buffer_sink_t *b = ctx;
    if (len > b->cap - b->len) {
        return OTA_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(b->buf + b->len, data, len);
    b->len += len;
    return OTA_OK;
}

int ota_app_image_build_to_buffer(const ota_app_image_build_config_t *cfg, uint8_t *buf, size_t cap,
                                  size_t *out_len)
{
    ota_app_image_build_plan_t plan;
    int err = ota_app_image_build_plan(cfg, &plan);
    if (err != OTA_OK) {
        return err;
    }
    if (out_len != NULL) {
        *out_len = plan.image_size;
    }
    if (buf == NULL || cap < plan.image_size) {
        return OTA_ERR_BUFFER_TOO_SMALL;
    }
    buffer_sink_t sink = {buf, cap, 0};
    return ota_app_image_build(cfg, buffer_write, &sink, NULL);
}
