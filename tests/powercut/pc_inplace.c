/* ESP-ADF's data procedure as ESP-ADF's OTA example runs it, to show that the sweep catches it:
 * the example's audio_tone_need_upgrade() erases the whole partition and writes the tone header
 * back, then the default execute streams the rest in 2 KiB pieces to their final place. No
 * journal, no read-back, header first: a cut leaves a half-written partition whose header,
 * and for format 0 (no CRC) whose whole layout, looks valid.
 *
 * Built from the public step helpers: the default data prepare opens the source and finds the
 * partition; the bytes go straight to the partition with ota_partition_erase_range/program. */
#include "powercut.h"

#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_tone.h"

#define CHUNK 2048u /* ESP-ADF's READER_BUF_LEN */

typedef struct {
    void *inner; /* the default data procedure's handle */
    uint8_t head[OTA_TONE_HEADER_SIZE + OTA_TONE_DESC_SIZE];
    size_t head_len; /* header (+ description) already written */
    ota_tone_header_t header;
} inplace_t;

static int tone_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    return ota_partition_read(ctx, off, buf, len);
}

static int inplace_prepare(ota_service_t *service, void **handle, ota_node_attr_t *node)
{
    inplace_t *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        return OTA_ERR_NO_MEM;
    }
    *handle = ctx;
    return ota_data_default_prepare(service, &ctx->inner, node);
}

static int inplace_need_upgrade(void *handle, ota_node_attr_t *node)
{
    (void)node;
    inplace_t *ctx = handle;
    const ota_partition_t *part = ota_data_partition(ctx->inner);
    ota_tone_diag_t diag;
    int err = ota_data_image_stream_read(ctx->inner, ctx->head, OTA_TONE_HEADER_SIZE);
    if (err == OTA_OK) {
        err = ota_tone_header_parse(ctx->head, OTA_TONE_HEADER_SIZE, &ctx->header, &diag);
    }
    if (err != OTA_OK) {
        return err;
    }
    ctx->head_len = OTA_TONE_HEADER_SIZE;
    if (ctx->header.format == OTA_TONE_FORMAT_1) {
        err = ota_data_image_stream_read(ctx->inner, ctx->head + ctx->head_len, OTA_TONE_DESC_SIZE);
        ota_tone_desc_t incoming;
        if (err == OTA_OK) {
            err = ota_tone_desc_parse(ctx->head + ctx->head_len, OTA_TONE_DESC_SIZE, &incoming, &diag);
        }
        if (err != OTA_OK) {
            return err;
        }
        ctx->head_len += OTA_TONE_DESC_SIZE;
        ota_tone_info_t current;
        if (ota_tone_validate(tone_read, (void *)part, part->info.size, &current, &diag) == OTA_OK &&
            current.header.format == OTA_TONE_FORMAT_1 &&
            ota_get_version_number(incoming.version) <= ota_get_version_number(current.desc.version)) {
            return OTA_ERR_VERSION_NOT_NEWER;
        }
    }
    /* ESP-ADF: esp_partition_erase_range(partition, 0, partition->size), then the header. */
    err = ota_partition_erase_range(part, 0, part->info.size);
    return err != OTA_OK ? err : ota_partition_program(part, 0, ctx->head, ctx->head_len);
}

static int inplace_execute(void *handle, ota_node_attr_t *node)
{
    (void)node;
    inplace_t *ctx = handle;
    const ota_partition_t *part = ota_data_partition(ctx->inner);
    /* The read helper reads exact counts: take the file table first to know the image's size. */
    uint32_t prefix = ota_tone_prefix_size(&ctx->header);
    uint8_t *head = malloc(prefix);
    if (head == NULL) {
        return OTA_ERR_NO_MEM;
    }
    memcpy(head, ctx->head, ctx->head_len);
    ota_tone_info_t info;
    ota_tone_diag_t diag;
    memset(&info, 0, sizeof info);
    int err = ota_data_image_stream_read(ctx->inner, head + ctx->head_len, prefix - ctx->head_len);
    if (err == OTA_OK) {
        err = ota_tone_parse_prefix(head, prefix, part->info.size, &info, &diag);
    }
    uint8_t chunk[CHUNK];
    for (uint32_t off = (uint32_t)ctx->head_len; err == OTA_OK && off < info.image_size;) {
        uint32_t n = info.image_size - off < CHUNK ? info.image_size - off : CHUNK;
        uint32_t from_head = off < prefix ? (prefix - off < n ? prefix - off : n) : 0;
        memcpy(chunk, head + off, from_head);
        err = ota_data_image_stream_read(ctx->inner, chunk + from_head, n - from_head);
        if (err == OTA_OK) {
            err = ota_partition_program(part, off, chunk, n);
        }
        off += n;
    }
    free(head);
    return err;
}

static int inplace_finished_check(void *handle, ota_node_attr_t *node, int result)
{
    inplace_t *ctx = handle;
    if (ctx == NULL) {
        return result != OTA_OK ? result : OTA_ERR_INVALID_STATE;
    }
    /* Everything is already in place (ESP-ADF has nothing to commit). The default step is only
     * called to release its handle; a non-OK result keeps it from committing its (unused) writer. */
    if (ctx->inner != NULL) {
        (void)ota_data_default_finished_check(ctx->inner, node, OTA_ERR_CANCELLED);
    }
    free(ctx);
    return result;
}

void pc_inplace_get_proc(ota_upgrade_ops_t *ops)
{
    ops->prepare = inplace_prepare;
    ops->need_upgrade = inplace_need_upgrade;
    ops->execute_upgrade = inplace_execute;
    ops->finished_check = inplace_finished_check;
}
