/* Byte format of the install journal; see ota_install_journal.h. */
#include "ota/ota_install_journal.h"

#include <string.h>

#include "ota/ota_crypto.h"
#include "ota/ota_err.h"
#include "byte_order.h"

static const uint8_t k_header_magic[4] = {'O', 'T', 'A', 'J'};
static const uint8_t k_record_magic[4] = {'C', 'K', 'P', 'T'};

bool ota_journal_is_present(const uint8_t *data, size_t len)
{
    return len >= 4 && memcmp(data, k_header_magic, 4) == 0;
}

void ota_journal_header_encode(const ota_journal_header_t *h, uint8_t out[OTA_JOURNAL_HEADER_SIZE])
{
    memset(out, 0xFF, OTA_JOURNAL_HEADER_SIZE);
    memcpy(out, k_header_magic, 4);
    out[4] = 1; /* version */
    out[5] = 0;
    out[6] = 0; /* flags */
    out[7] = 0;
    ota_put_le32(out + 8, h->total_size);
    memcpy(out + 12, h->source_id, 16);
    memset(out + 28, 0, OTA_JOURNAL_ETAG_MAX + 1);
    for (size_t i = 0; i < OTA_JOURNAL_ETAG_MAX && h->etag[i] != '\0'; i++) {
        out[28 + i] = (uint8_t)h->etag[i];
    }
    /* out[124..127] = crc */
    ota_put_le32(out + 124, ota_crc32_le(0, out, 124));
}

int ota_journal_header_decode(const uint8_t in[OTA_JOURNAL_HEADER_SIZE], ota_journal_header_t *out)
{
    if (memcmp(in, k_header_magic, 4) != 0) {
        return OTA_ERR_NOT_FOUND;
    }
    if (ota_get_le32(in + 124) != ota_crc32_le(0, in, 124) || in[4] != 1) {
        return OTA_ERR_SVC_CHECKPOINT;
    }
    out->total_size = ota_get_le32(in + 8);
    memcpy(out->source_id, in + 12, 16);
    memcpy(out->etag, in + 28, OTA_JOURNAL_ETAG_MAX);
    out->etag[OTA_JOURNAL_ETAG_MAX] = '\0';
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

uint32_t ota_journal_capacity(uint32_t sector_size)
{
    return sector_size <= OTA_JOURNAL_RECORDS_OFFSET ? 0
                                                      : (sector_size - OTA_JOURNAL_RECORDS_OFFSET) / OTA_JOURNAL_RECORD_SIZE;
}

void ota_journal_source_id(const char *uri, uint8_t out[16])
{
    uint8_t digest[OTA_SHA256_LEN];
    ota_sha256(uri, strlen(uri), digest);
    memcpy(out, digest, 16);
}
