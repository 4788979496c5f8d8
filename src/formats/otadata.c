/* otadata entries and the selection rules of bootloader_common_loader.c. Pure. */
#include "ota/ota_otadata.h"

#include <stdio.h>
#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "byte_order.h"

uint32_t ota_otadata_crc(uint32_t seq)
{
    uint8_t le[4];
    ota_put_le32(le, seq);
    return ota_crc32_le(0xFFFFFFFFu, le, sizeof le);
}

void ota_otadata_entry_decode(const uint8_t raw[OTA_OTADATA_ENTRY_SIZE], ota_otadata_entry_t *out)
{
    out->ota_seq = ota_get_le32(raw);
    memcpy(out->seq_label, raw + 4, sizeof out->seq_label);
    out->ota_state = ota_get_le32(raw + 24);
    out->crc = ota_get_le32(raw + 28);
}

void ota_otadata_entry_encode(const ota_otadata_entry_t *e, uint8_t raw[OTA_OTADATA_ENTRY_SIZE])
{
    ota_put_le32(raw, e->ota_seq);
    memcpy(raw + 4, e->seq_label, sizeof e->seq_label);
    ota_put_le32(raw + 24, e->ota_state);
    ota_put_le32(raw + 28, e->crc);
}

void ota_otadata_entry_make(ota_otadata_entry_t *out, uint32_t seq, uint32_t state)
{
    memset(out->seq_label, 0xFF, sizeof out->seq_label);
    out->ota_seq = seq;
    out->ota_state = state;
    out->crc = ota_otadata_crc(seq);
}

bool ota_otadata_entry_crc_ok(const ota_otadata_entry_t *e)
{
    return e->crc == ota_otadata_crc(e->ota_seq);
}

bool ota_otadata_entry_is_invalid(const ota_otadata_entry_t *e)
{
    return e->ota_seq == OTA_OTADATA_SEQ_BLANK || e->ota_state == OTA_IMG_INVALID ||
           e->ota_state == OTA_IMG_ABORTED;
}

bool ota_otadata_entry_is_valid(const ota_otadata_entry_t *e)
{
    return !ota_otadata_entry_is_invalid(e) && ota_otadata_entry_crc_ok(e);
}

bool ota_otadata_entry_is_initial(const ota_otadata_entry_t *e)
{
    return e->ota_seq == OTA_OTADATA_SEQ_BLANK || !ota_otadata_entry_crc_ok(e);
}

int ota_otadata_select(const ota_otadata_entry_t entries[2], const bool valid[2], bool max)
{
    if (valid[0] && valid[1]) {
        uint32_t a = entries[0].ota_seq, b = entries[1].ota_seq;
        if (a == b) {
            return 0;
        }
        return (max ? a > b : a < b) ? 0 : 1;
    }
    if (valid[0]) {
        return 0;
    }
    if (valid[1]) {
        return 1;
    }
    return -1;
}

int ota_otadata_active(const ota_otadata_entry_t entries[2])
{
    bool valid[2] = {ota_otadata_entry_is_valid(&entries[0]), ota_otadata_entry_is_valid(&entries[1])};
    return ota_otadata_select(entries, valid, true);
}

uint32_t ota_otadata_slot(uint32_t seq, uint32_t slot_count)
{
    return slot_count == 0 ? 0 : (seq - 1u) % slot_count;
}

uint32_t ota_otadata_seq_for_slot(uint32_t current_seq, uint32_t slot, uint32_t slot_count)
{
    if (slot_count == 0 || slot >= slot_count) {
        return 0;
    }
    /* The bootloader computes (seq - 1) % count in 32 bits: seq 0 wraps to 0xFFFFFFFF, whose
     * remainder names slot 0xFFFFFFFF % count - not slot + 1 - 1 unless count divides 2^32. So
     * only seqs 1 .. 0xFFFFFFFE (0xFFFFFFFF is an erased entry) are candidates, and the answer is
     * found in 64-bit arithmetic (ESP-IDF's loop wraps near 0xFFFFFFFF and can hand back a small
     * seq that loses against the current one). */
    uint64_t lo = current_seq > 0 ? current_seq : 1;
    uint64_t t = lo - 1; /* seq - 1 must be >= t and == slot modulo count */
    t += (slot + slot_count - (uint32_t)(t % slot_count)) % slot_count;
    uint64_t seq = t + 1;
    return seq < OTA_OTADATA_SEQ_BLANK ? (uint32_t)seq : 0;
}

int ota_otadata_next_seq(uint32_t current_seq, uint32_t slot, uint32_t slot_count, uint32_t *out)
{
    uint32_t seq = current_seq < OTA_OTADATA_SEQ_BLANK - 1u
                       ? ota_otadata_seq_for_slot(current_seq + 1u, slot, slot_count)
                       : 0;
    if (out != NULL) {
        *out = seq;
    }
    return seq != 0 ? OTA_OK : OTA_ERR_OTADATA_SEQ_EXHAUSTED;
}

const char *ota_otadata_state_name(uint32_t state, char buf[12])
{
    switch (state) {
    case OTA_IMG_NEW: return "NEW";
    case OTA_IMG_PENDING_VERIFY: return "PENDING_VERIFY";
    case OTA_IMG_VALID: return "VALID";
    case OTA_IMG_INVALID: return "INVALID";
    case OTA_IMG_ABORTED: return "ABORTED";
    case OTA_IMG_UNDEFINED: return "UNDEFINED";
    default: snprintf(buf, 12, "0x%08x", (unsigned)state); return buf;
    }
}
