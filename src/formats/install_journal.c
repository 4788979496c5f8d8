/* Byte format of the install journal; see ota_install_journal.h. */
#include "formats/ota_install_journal.h"

#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "byte_order.h"

static const uint8_t k_header_magic[4] = {'O', 'T', 'A', 'J'};
static const uint8_t k_record_magic[4] = {'C', 'K', 'P', 'T'};
static const uint8_t k_stage_magic[4] = {'C', 'K', 'P', 'S'};
static const uint8_t k_stage_cont_magic[4] = {'C', 'K', 'P', 'C'};
static const uint8_t k_floor_magic[4] = {'C', 'K', 'P', 'V'};

/* The kind of version a floor record holds: a tone image's (format 1 description). */
#define FLOOR_KIND_TONE 1u

/* State bytes in a stage record's first slot and in each continuation slot. */
#define STAGE_FIRST_STATE 28u
#define STAGE_CONT_STATE  40u

bool ota_journal_is_present(const uint8_t *data, size_t len)
{
    return len >= 4 && memcmp(data, k_header_magic, 4) == 0;
}

void ota_journal_header_encode(const ota_journal_header_t *h, uint8_t out[OTA_JOURNAL_HEADER_SIZE])
{
    memset(out, 0xFF, OTA_JOURNAL_HEADER_SIZE);
    memcpy(out, k_header_magic, 4);
    out[4] = h->staged ? 2 : 1; /* version */
    out[5] = 0;
    out[6] = h->staged && h->spill ? 1 : 0; /* flags: bit 0 spill */
    out[7] = 0;
    ota_put_le32(out + 8, h->total_size);
    memcpy(out + 12, h->source_id, 16);
    size_t etag_max = h->staged ? OTA_JOURNAL_ETAG_MAX_STAGED : OTA_JOURNAL_ETAG_MAX;
    memset(out + 28, 0, etag_max + 1);
    for (size_t i = 0; i < etag_max && h->etag[i] != '\0'; i++) {
        out[28 + i] = (uint8_t)h->etag[i];
    }
    if (h->staged) {
        ota_put_le32(out + 116, h->source_size);
        ota_put_le32(out + 120, h->chain_id);
    }
    /* out[124..127] = crc */
    ota_put_le32(out + 124, ota_crc32_le(0, out, 124));
}

int ota_journal_header_decode(const uint8_t in[OTA_JOURNAL_HEADER_SIZE], ota_journal_header_t *out)
{
    if (memcmp(in, k_header_magic, 4) != 0) {
        return OTA_ERR_NOT_FOUND;
    }
    if (ota_get_le32(in + 124) != ota_crc32_le(0, in, 124) || (in[4] != 1 && in[4] != 2) || in[5] != 0) {
        return OTA_ERR_SVC_CHECKPOINT;
    }
    memset(out, 0, sizeof *out);
    out->staged = in[4] == 2;
    out->total_size = ota_get_le32(in + 8);
    memcpy(out->source_id, in + 12, 16);
    size_t etag_max = out->staged ? OTA_JOURNAL_ETAG_MAX_STAGED : OTA_JOURNAL_ETAG_MAX;
    memcpy(out->etag, in + 28, etag_max);
    out->etag[etag_max] = '\0';
    if (out->staged) {
        out->spill = (in[6] & 1) != 0;
        out->source_size = ota_get_le32(in + 116);
        out->chain_id = ota_get_le32(in + 120);
    }
    return OTA_OK;
}

void ota_journal_record_encode(const ota_journal_checkpoint_t *cp, uint8_t out[OTA_JOURNAL_RECORD_SIZE])
{
    memcpy(out, k_record_magic, 4);
    ota_put_le32(out + 4, cp->bytes_written);
    ota_put_le32(out + 8, cp->bytes_hashed);
    memcpy(out + 12, cp->digest, 32);
    ota_put_le32(out + 44, ota_crc32_le(0, out, 44));
}

int ota_journal_record_decode(const uint8_t in[OTA_JOURNAL_RECORD_SIZE], ota_journal_checkpoint_t *out)
{
    if (ota_bytes_all(in, OTA_JOURNAL_RECORD_SIZE, 0xFF)) {
        return OTA_ERR_NOT_FOUND;
    }
    if (memcmp(in, k_record_magic, 4) != 0 || ota_get_le32(in + 44) != ota_crc32_le(0, in, 44)) {
        return OTA_ERR_SVC_CHECKPOINT;
    }
    out->bytes_written = ota_get_le32(in + 4);
    out->bytes_hashed = ota_get_le32(in + 8);
    memcpy(out->digest, in + 12, 32);
    return OTA_OK;
}

void ota_journal_floor_encode(const char *version, uint8_t out[OTA_JOURNAL_RECORD_SIZE])
{
    size_t len = 0;
    while (len < OTA_JOURNAL_FLOOR_MAX && version[len] != '\0') {
        len++;
    }
    memset(out, 0, OTA_JOURNAL_RECORD_SIZE);
    memcpy(out, k_floor_magic, 4);
    out[4] = FLOOR_KIND_TONE;
    out[5] = (uint8_t)len;
    memcpy(out + 8, version, len);
    ota_put_le32(out + 44, ota_crc32_le(0, out, 44));
}

int ota_journal_floor_decode(const uint8_t in[OTA_JOURNAL_RECORD_SIZE],
                             char version[OTA_JOURNAL_FLOOR_MAX + 1])
{
    version[0] = '\0';
    if (memcmp(in, k_floor_magic, 4) != 0) {
        return OTA_ERR_NOT_FOUND;
    }
    uint8_t len = in[5];
    if (ota_get_le32(in + 44) != ota_crc32_le(0, in, 44) || in[4] != FLOOR_KIND_TONE || len == 0 ||
        len > OTA_JOURNAL_FLOOR_MAX || memchr(in + 8, '\0', len) != NULL) {
        return OTA_ERR_SVC_CHECKPOINT;
    }
    memcpy(version, in + 8, len);
    version[len] = '\0';
    return OTA_OK;
}

uint32_t ota_journal_stage_slots(size_t state_len)
{
    if (state_len <= STAGE_FIRST_STATE) {
        return 1;
    }
    return 1 + (uint32_t)((state_len - STAGE_FIRST_STATE + STAGE_CONT_STATE - 1) / STAGE_CONT_STATE);
}

void ota_journal_stage_encode(const ota_journal_stage_t *rec, const uint8_t *state, uint8_t *out)
{
    uint32_t slots = ota_journal_stage_slots(rec->state_len);
    size_t left = rec->state_len;
    memset(out, 0, (size_t)slots * OTA_JOURNAL_RECORD_SIZE);
    memcpy(out, k_stage_magic, 4);
    ota_put_le32(out + 4, rec->bytes_written);
    ota_put_le32(out + 8, rec->source_offset);
    ota_put_le16(out + 12, rec->state_len);
    ota_put_le16(out + 14, (uint16_t)slots);
    size_t n = left < STAGE_FIRST_STATE ? left : STAGE_FIRST_STATE;
    memcpy(out + 16, state, n);
    state += n;
    left -= n;
    uint32_t crc = ota_crc32_le(0, out, 44);
    ota_put_le32(out + 44, crc);
    for (uint32_t i = 1; i < slots; i++) {
        uint8_t *slot = out + (size_t)i * OTA_JOURNAL_RECORD_SIZE;
        memcpy(slot, k_stage_cont_magic, 4);
        n = left < STAGE_CONT_STATE ? left : STAGE_CONT_STATE;
        memcpy(slot + 4, state, n);
        state += n;
        left -= n;
        /* chained: a continuation slot belongs to exactly this record */
        crc = ota_crc32_le(crc, slot, 44);
        ota_put_le32(slot + 44, crc);
    }
}

int ota_journal_stage_decode(const uint8_t *in, size_t avail, ota_journal_stage_t *rec, uint8_t *state,
                             uint32_t *slots)
{
    *slots = 1;
    if (avail < OTA_JOURNAL_RECORD_SIZE || memcmp(in, k_stage_magic, 4) != 0) {
        return OTA_ERR_NOT_FOUND;
    }
    uint32_t crc = ota_crc32_le(0, in, 44);
    if (ota_get_le32(in + 44) != crc) {
        return OTA_ERR_SVC_CHECKPOINT;
    }
    rec->bytes_written = ota_get_le32(in + 4);
    rec->source_offset = ota_get_le32(in + 8);
    rec->state_len = ota_get_le16(in + 12);
    uint32_t n_slots = ota_get_le16(in + 14);
    if (rec->state_len > OTA_JOURNAL_STAGE_STATE_MAX || n_slots != ota_journal_stage_slots(rec->state_len)) {
        return OTA_ERR_SVC_CHECKPOINT;
    }
    if ((size_t)n_slots * OTA_JOURNAL_RECORD_SIZE > avail) {
        return OTA_ERR_SVC_CHECKPOINT;
    }
    size_t left = rec->state_len;
    size_t n = left < STAGE_FIRST_STATE ? left : STAGE_FIRST_STATE;
    memcpy(state, in + 16, n);
    state += n;
    left -= n;
    for (uint32_t i = 1; i < n_slots; i++) {
        const uint8_t *slot = in + (size_t)i * OTA_JOURNAL_RECORD_SIZE;
        *slots = i + 1;
        crc = ota_crc32_le(crc, slot, 44);
        if (memcmp(slot, k_stage_cont_magic, 4) != 0 || ota_get_le32(slot + 44) != crc) {
            return OTA_ERR_SVC_CHECKPOINT;
        }
        n = left < STAGE_CONT_STATE ? left : STAGE_CONT_STATE;
        memcpy(state, slot + 4, n);
        state += n;
        left -= n;
    }
    *slots = n_slots;
    return OTA_OK;
}

int ota_journal_find_staged(const uint8_t *sector0, uint32_t sector_size, ota_journal_checkpoint_t *cp,
                            ota_journal_stage_t *rec, uint8_t *state)
{
    uint32_t end = OTA_JOURNAL_RECORDS_OFFSET + ota_journal_capacity(sector_size) * OTA_JOURNAL_RECORD_SIZE;
    bool have_cp = false;
    uint32_t stage_off = 0, stage_end = 0; /* the last valid stage record seen, 0: none */
    uint32_t paired_off = 0;               /* the stage record of the last checkpoint, 0: none */
    for (uint32_t off = OTA_JOURNAL_RECORDS_OFFSET; off < end;) {
        uint32_t slots = 1;
        ota_journal_stage_t st;
        int err = ota_journal_stage_decode(sector0 + off, end - off, &st, state, &slots);
        if (err == OTA_OK) {
            stage_off = off;
            stage_end = off + slots * OTA_JOURNAL_RECORD_SIZE;
            off = stage_end;
            continue;
        }
        ota_journal_checkpoint_t c;
        err = ota_journal_record_decode(sector0 + off, &c);
        if (err == OTA_ERR_NOT_FOUND) {
            break; /* erased: the end of the list */
        }
        if (err == OTA_OK) {
            *cp = c;
            have_cp = true;
            paired_off = stage_end == off ? stage_off : 0;
        }
        off += OTA_JOURNAL_RECORD_SIZE;
    }
    if (!have_cp || paired_off == 0) {
        return OTA_ERR_NOT_FOUND;
    }
    /* decode the paired record again: a later one (cut before its checkpoint) overwrote state */
    uint32_t slots;
    if (ota_journal_stage_decode(sector0 + paired_off, end - paired_off, rec, state, &slots) != OTA_OK ||
        rec->bytes_written != cp->bytes_written) {
        return OTA_ERR_NOT_FOUND;
    }
    return OTA_OK;
}

int ota_journal_spill_find(const uint8_t *sector, uint32_t sector_size, uint32_t bytes_written, uint32_t *at,
                           uint32_t *free_off, uint8_t *scratch_state)
{
    uint32_t end = sector_size / OTA_JOURNAL_RECORD_SIZE * OTA_JOURNAL_RECORD_SIZE;
    bool found = false;
    *free_off = end;
    for (uint32_t off = 0; off < end;) {
        if (ota_bytes_all(sector + off, OTA_JOURNAL_RECORD_SIZE, 0xFF)) {
            *free_off = off; /* erased: the end of the list */
            break;
        }
        uint32_t slots = 1;
        ota_journal_stage_t st;
        if (ota_journal_stage_decode(sector + off, end - off, &st, scratch_state, &slots) == OTA_OK &&
            st.bytes_written == bytes_written) {
            *at = off;
            found = true;
        }
        off += slots * OTA_JOURNAL_RECORD_SIZE; /* a torn record: past the slots it got to */
    }
    return found ? OTA_OK : OTA_ERR_NOT_FOUND;
}

uint32_t ota_journal_chain_id(const char *const *names, size_t count)
{
    uint32_t crc = 0;
    for (size_t i = 0; i < count; i++) {
        crc = ota_crc32_le(crc, names[i], strlen(names[i]) + 1);
    }
    return crc;
}

uint32_t ota_journal_capacity(uint32_t sector_size)
{
    return sector_size <= OTA_JOURNAL_RECORDS_OFFSET
               ? 0
               : (sector_size - OTA_JOURNAL_RECORDS_OFFSET) / OTA_JOURNAL_RECORD_SIZE;
}

void ota_journal_source_id(const char *uri, uint8_t out[16])
{
    uint8_t digest[OTA_SHA256_LEN];
    ota_sha256(uri, strlen(uri), digest);
    memcpy(out, digest, 16);
}
