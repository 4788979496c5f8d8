/* The Secure Boot V2 signature verifier of the data path (verifier_sig.h): the digest is computed
 * while the image streams to the target; after the last byte, before sector 0 is committed and
 * before otadata changes, the trusted block(s) of the signature sector decide. */
#include "verifier_sig.h"

#include <stdio.h>
#include <string.h>

#include "ota/ota_app_image.h"
#include "ota/ota_err.h"
#include "boot/ota_image_sig.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"

static const char *TAG = "secure_boot_v2";

/* Memory: the digests' contexts and a few positions. The signature sector is not held: it is on
 * the target when finish() runs and is read from there block by block (ota_sig_verify_read, in
 * the driver's work buffer, which the stream no longer uses then). */
struct ota_sig_check {
    ota_item_t *item;
    ota_sig_layout_t layout;
    uint32_t room;
    uint64_t (*image_len)(void *arg);
    void *arg;
    bool len_set;
    uint64_t sector_end;  /* APP: where the stream must end (sector offset + 4096), once known */
    uint64_t sector_off;  /* where the signed bytes end, once known (UINT64_MAX before) */
    int64_t expect_total; /* DATA: the output size announced before the stream (-1 unknown) */
    uint64_t pos;         /* bytes fed */
    uint64_t hashed;      /* bytes hashed (a prefix of the stream) */
    ota_sha256_ctx_t sha256;
    ota_sha384_ctx_t sha384;
    uint64_t signed_len;
    ota_sig_trust_t trust;
    bool trusted; /* trust taken */
    char msg[200];
    /* what the log and the RESULT detail say about the outcome */
    ota_sig_summary_t sum;
};

static void hash_start(ota_sig_check_t *c)
{
    /* the device does not fix the scheme: SHA-256 for RSA/P-256 blocks, SHA-384 for P-384 */
    ota_sha256_init(&c->sha256);
    ota_sha384_init(&c->sha384);
    c->hashed = 0;
}

static void hash(ota_sig_check_t *c, const uint8_t *data, size_t len)
{
    ota_sha256_update(&c->sha256, data, len);
    ota_sha384_update(&c->sha384, data, len);
    c->hashed += len;
}

static int check_reset(void *arg)
{
    ota_sig_check_t *c = arg;
    c->len_set = false;
    c->sector_end = 0;
    c->sector_off = UINT64_MAX;
    c->pos = 0;
    c->signed_len = 0;
    c->msg[0] = '\0';
    memset(&c->sum, 0, sizeof c->sum);
    c->sum.verified = -1;
    if (c->layout == OTA_SIG_LAYOUT_DATA && c->expect_total >= 0) {
        c->sector_off = ota_sig_sector_offset_for_data((uint64_t)c->expect_total);
    }
    hash_start(c);
    return OTA_OK;
}

static int fail(ota_sig_check_t *c, int err, const char *fmt, unsigned long long a, unsigned long long b)
{
    snprintf(c->msg, sizeof c->msg, fmt, a, b);
    OTA_LOGE(TAG, "%s", c->msg);
    return err;
}

/* APP: once the image validator knows the length, the sector's place follows; it must fit. */
static int learn_len(ota_sig_check_t *c)
{
    if (c->len_set || c->image_len == NULL) {
        return OTA_OK;
    }
    uint64_t len = c->image_len(c->arg);
    if (len == 0) {
        return OTA_OK;
    }
    c->len_set = true;
    c->sector_off = ota_sig_sector_offset_for_image(len);
    c->sector_end = c->sector_off + OTA_SIG_SECTOR_SIZE;
    if (c->sector_end > c->room) {
        return fail(c, OTA_ERR_SIG_NO_ROOM,
                    "image (%llu bytes) and its signature sector do not fit the %llu-byte slot", len,
                    (unsigned long long)c->room);
    }
    return OTA_OK;
}

static int check_feed(void *arg, const uint8_t *data, size_t len)
{
    ota_sig_check_t *c = arg;
    /* The image validator ran on these bytes first: if it still does not know the length, all of
     * them are image bytes (signed); if it does, the sector's place is known. */
    int err = learn_len(c);
    if (err != OTA_OK) {
        return err;
    }
    bool streaming = c->layout == OTA_SIG_LAYOUT_APP || c->sector_off != UINT64_MAX;
    if (streaming && c->hashed == c->pos && c->pos < c->sector_off) {
        uint64_t room = c->sector_off - c->pos;
        hash(c, data, len < room ? len : (size_t)room);
    }
    c->pos += len;
    /* Nothing may follow the signature sector: those bytes would be covered by nothing. */
    if (c->len_set && c->pos > c->sector_end) {
        return fail(c, OTA_ERR_IMG_TRAILING_DATA, "%llu bytes after the signature sector (ends at %llu)",
                    (unsigned long long)(c->pos - c->sector_end), (unsigned long long)c->sector_end);
    }
    return OTA_OK;
}

/* The digest of [0, off) from the staged image, when the stream could not be hashed as it came
 * (a data item of unknown size: the sector is its last whole sector). */
static int rehash(ota_sig_check_t *c, uint64_t off, ota_staged_read_fn read, void *read_arg, uint8_t *buf,
                  size_t size)
{
    hash_start(c);
    for (uint64_t at = 0; at < off;) {
        size_t n = off - at < size ? (size_t)(off - at) : size;
        int err = read(read_arg, (uint32_t)at, buf, n);
        if (err != OTA_OK) {
            return err;
        }
        hash(c, buf, n);
        at += n;
    }
    return OTA_OK;
}

static int check_finish(void *arg, uint64_t total, ota_staged_read_fn read, void *read_arg)
{
    ota_sig_check_t *c = arg;
    (void)total;
    int err = learn_len(c);
    if (err != OTA_OK) {
        return err;
    }
    if (!c->trusted && (err = ota_image_sig_trust(c->item->device, &c->trust)) != OTA_OK) {
        snprintf(c->msg, sizeof c->msg, "no trusted key to verify the image with");
        return err;
    }
    c->trusted = true;
    uint64_t off = c->layout == OTA_SIG_LAYOUT_DATA ? ota_sig_sector_offset_for_data(c->pos) : c->sector_off;
    if (c->layout == OTA_SIG_LAYOUT_DATA && off != UINT64_MAX && c->pos % OTA_SIG_SECTOR_SIZE != 0) {
        /* ESP-IDF v6.1-beta1 (components/app_update/esp_ota_ops.c,
         * ota_verify_data_partition_signature) rounds the written size down and would leave these
         * bytes unchecked; espsecure v4.9.1 verify_signature_v2 refuses such a file ("a multiple of
         * 4096"): signed means every byte, refused before the commit. */
        return fail(c, OTA_ERR_IMG_TRAILING_DATA,
                    "%llu bytes after the signature sector at %llu are covered by no signature",
                    (unsigned long long)(c->pos % OTA_SIG_SECTOR_SIZE), (unsigned long long)off);
    }
    if (off == UINT64_MAX || off + OTA_SIG_SECTOR_SIZE > c->pos) {
        err = OTA_ERR_SIG_UNSIGNED; /* no room for a sector after the signed data */
    } else {
        size_t size;
        uint8_t *buf = ota_item_work_buffer(c->item, &size);
        uint8_t *own = NULL;
        if (size < OTA_SIG_VERIFY_SCRATCH) {
            buf = own = ota_malloc(OTA_SIG_VERIFY_SCRATCH);
            size = OTA_SIG_VERIFY_SCRATCH;
        }
        err = buf == NULL ? OTA_ERR_NO_MEM : OTA_OK;
        if (err == OTA_OK && c->hashed != off) {
            err = rehash(c, off, read, read_arg, buf, size);
        }
        uint8_t d256[OTA_SHA256_LEN], d384[OTA_SHA384_LEN];
        if (err == OTA_OK) {
            ota_sha256_final(&c->sha256, d256);
            ota_sha384_final(&c->sha384, d384);
            c->signed_len = off;
            err = ota_sig_verify_read(read, read_arg, off, d256, d384, &c->trust, &c->sum, buf);
        }
        ota_free(own);
    }
    if (err == OTA_OK) {
        OTA_LOGI(TAG, "Verifying with %s...", ota_sig_scheme_name(c->sum.scheme[c->sum.verified]));
        OTA_LOGI(TAG, "Signature verified successfully! (block %d, %llu bytes signed)", c->sum.verified,
                 (unsigned long long)c->signed_len);
        return OTA_OK;
    }
    snprintf(c->msg, sizeof c->msg, "secure boot verification failed: %s (%u block(s) read)",
             ota_strerror(err), c->sum.blocks);
    for (unsigned i = 0; err == OTA_ERR_SIG_CHIP_SCHEME && i < c->sum.blocks; i++) {
        if (c->sum.result[i] == OTA_ERR_SIG_CHIP_SCHEME) { /* name the chip's rule */
            char rule[160];
            ota_chip_sbv2_rule(c->trust.chip_id, c->trust.chip_rev, rule, sizeof rule);
            snprintf(c->msg, sizeof c->msg, "%s signature: %s", ota_sig_scheme_name(c->sum.scheme[i]), rule);
            break;
        }
    }
    OTA_LOGE(TAG, "%s", c->msg);
    return err;
}

static const char *check_message(void *arg)
{
    const ota_sig_check_t *c = arg;
    return c->msg;
}

int ota_sig_check_add(ota_item_t *item, ota_sig_layout_t layout, uint32_t room,
                      uint64_t (*image_len)(void *arg), void *arg, ota_sig_check_t **out)
{
    *out = NULL;
    ota_sig_check_t *c = ota_calloc(1, sizeof *c);
    if (c == NULL) {
        return OTA_ERR_NO_MEM;
    }
    c->item = item;
    c->layout = layout;
    c->room = room;
    c->image_len = image_len;
    c->arg = arg;
    c->expect_total = -1;
    ota_verifier_t v = {.name = "signature",
                        .reset = check_reset,
                        .feed = check_feed,
                        .finish = check_finish,
                        .message = check_message,
                        .ctx = c};
    int err = ota_item_add_verifier(item, &v);
    if (err != OTA_OK) {
        ota_free(c);
        return err;
    }
    *out = c;
    return OTA_OK;
}

int ota_sig_check_trust(ota_sig_check_t *c)
{
    int err = ota_image_sig_trust(c->item->device, &c->trust);
    if (err != OTA_OK) {
        c->trusted = false;
        const ota_device_security_t *sec = &c->item->device->security;
        if (err == OTA_ERR_SIG_CHIP_NO_SBV2) {
            char why[160];
            ota_chip_sbv2_unsupported(c->item->device->chip_id, c->item->device->chip_revision, why,
                                      sizeof why);
            return ota_item_refuse(c->item, err, "%s", why);
        }
        return ota_item_refuse(c->item, err, "%s",
                               sec->secure_boot_v2
                                   ? "Secure Boot V2 is on but no key digest is burned"
                                   : "signed apps: the running app has no signature block 0 to "
                                     "take the trusted key from");
    }
    c->trusted = true;
    return OTA_OK;
}

int ota_sig_check_fit(ota_sig_check_t *c, int64_t total)
{
    if (c != NULL) {
        c->expect_total = total; /* DATA: the sector's place, so the stream can be hashed as it comes */
    }
    if (c == NULL || total < 0) {
        return OTA_OK; /* unknown size: checked while streaming (learn_len), still before the commit */
    }
    const char *label = c->item->target.info.label;
    uint64_t t = (uint64_t)total;
    bool whole = t % OTA_SIG_SECTOR_SIZE == 0;
    if (t > c->room) {
        /* A signed stream ends with its sector: without it, would the image have fitted? */
        if (whole && t - OTA_SIG_SECTOR_SIZE <= c->room) {
            return ota_item_refuse(c->item, OTA_ERR_SIG_NO_ROOM,
                                   "image of %llu bytes does not fit %s (%u bytes); without its 4096-byte "
                                   "signature sector it would: refused before erasing",
                                   (unsigned long long)t, label, (unsigned)c->room);
        }
        return ota_item_refuse(c->item, OTA_ERR_IMG_TOO_LARGE,
                               "image of %llu bytes larger than partition %s (%u bytes)",
                               (unsigned long long)t, label, (unsigned)c->room);
    }
    /* A data stream's signature sector is its last 4096 bytes: a size that is not a whole number
     * of sectors has bytes after it that no signature covers (espsecure v4.9.1
     * verify_signature_v2: "Data size should be non-zero & a multiple of 4096"). */
    if (c->layout == OTA_SIG_LAYOUT_DATA && !whole) {
        return ota_item_refuse(c->item, OTA_ERR_IMG_TRAILING_DATA,
                               "signed data of %llu bytes: the %llu bytes after its last whole 4096-byte "
                               "sector are covered by no signature: refused before erasing",
                               (unsigned long long)t, (unsigned long long)(t % OTA_SIG_SECTOR_SIZE));
    }
    /* An app's signature sector starts at the image length rounded up to 4 KiB and ends the
     * stream, so a signed app stream is a whole number of sectors. One that is not holds the
     * image (at most all of it) without its sector, and the sector must still find room. A data
     * stream's sector is its last whole sector (ESP-IDF v6.1): inside the stream, so it fits. */
    if (c->layout == OTA_SIG_LAYOUT_APP && !whole) {
        uint64_t need = ota_sig_sector_offset_for_image(t) + OTA_SIG_SECTOR_SIZE;
        if (need > c->room) {
            return ota_item_refuse(
                c->item, OTA_ERR_SIG_NO_ROOM,
                "image of %llu bytes fits %s (%u bytes) unsigned, but not with its padding to "
                "4 KiB and the 4096-byte signature sector (%llu bytes): refused before erasing",
                (unsigned long long)t, label, (unsigned)c->room, (unsigned long long)need);
        }
    }
    return OTA_OK;
}

uint64_t ota_sig_check_signed_len(const ota_sig_check_t *c)
{
    return c->signed_len;
}

void ota_sig_check_free(ota_sig_check_t *c)
{
    ota_free(c);
}
