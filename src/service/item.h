/* What the default app and data procedures share (service internal): one item's source with a
 * small look-ahead buffer (so need_upgrade can inspect the first bytes without consuming them),
 * the target partition and its writer, progress and cancellation. */
#ifndef OTA_ITEM_H
#define OTA_ITEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_service.h"
#include "partition_writer.h"

/* How a procedure hashes its stream, so the item can checkpoint it and, on resume, replay the
 * part already on flash through it and compare with the checkpoint. */
typedef struct {
    int (*feed)(void *ctx, const uint8_t *data, size_t len);
    int (*snapshot)(void *ctx, uint64_t *hashed, uint8_t digest[32]);
    void (*reset)(void *ctx); /* back to "nothing fed" (a resume given up) */
    void *ctx;
} ota_item_hasher_t;

/* Enough for an app image's header + first segment header + app description (288 bytes) and a
 * tone image's header + format-1 description (264 bytes): the first bytes need_upgrade inspects. */
#define OTA_ITEM_PEEK_MAX 288u

typedef struct {
    ota_service_t *service;
    ota_device_t *device;
    const char *tag;            /* log tag of the procedure ("OTA_DEFAULT") */
    const char *uri;            /* the node's URI (owned by the service's list) */
    ota_source_config_t src_cfg; /* as the source was opened (for a reopen at the resume point) */
    ota_source_t *source;
    int64_t total;              /* stream size if known, else -1 */
    uint64_t consumed;          /* stream bytes handed out by ota_item_read so far */
    uint8_t peek[OTA_ITEM_PEEK_MAX];
    size_t peek_len;            /* bytes in peek[] (stream offsets 0..peek_len) */
    size_t peek_pos;            /* bytes of peek[] already handed out */
    ota_partition_t target;
    ota_partition_writer_t writer;
    uint8_t *first_sector;      /* the writer's RAM sector (sector_size bytes, allocated) */
    ota_item_hasher_t hasher;
    ota_journal_checkpoint_t resume; /* checkpoint being resumed from (bytes_written 0: none) */
    uint32_t checkpoint_every;  /* bytes between checkpoints (a multiple of the sector size) */
    uint32_t next_checkpoint;
    bool bounded;               /* the source was opened for sector 0 only (see ota_item_open) */
    int pending_err;            /* a source error that arrived after some bytes of a read */
} ota_item_t;

/**
 * Allocate the item's buffers and open @p node's URI (cert_pem of the node wins). @p target (may
 * be NULL) is the partition the item will write: if it holds an interrupted install of this URI,
 * the first request asks only for its sector 0 (the rest is on flash; see ota_item_read).
 */
int ota_item_open(ota_item_t *item, ota_service_t *service, const ota_node_attr_t *node, const char *tag,
                  const ota_partition_info_t *target);
/** Close the source and free the buffers (keeps the struct). */
void ota_item_close(ota_item_t *item);

/** Make sure the first @p len stream bytes are in item->peek (len <= OTA_ITEM_PEEK_MAX). Returns
 * OTA_OK, OTA_ERR_IMG_TRUNCATED if the stream is shorter, or the source's error. */
int ota_item_peek(ota_item_t *item, size_t len);

/**
 * Start writing into item->target (which the procedure has set): a fresh install, or the
 * continuation of an interrupted one of the same image (see partition_writer.h). @p hasher is
 * the procedure's stream hash.
 */
int ota_item_begin_write(ota_item_t *item, const ota_item_hasher_t *hasher);

/** Write stream bytes (already fed to the hasher) and checkpoint at sector boundaries when due. */
int ota_item_write(ota_item_t *item, const void *data, size_t len);

/**
 * Next stream bytes: the unread peeked ones first, then the source. > 0, 0 at end, < 0 error.
 * Reads stop at sector boundaries (so checkpoints fall on them); when an install is being
 * resumed, the read after sector 0 replays the flash prefix through the hasher, checks it
 * against the checkpoint and continues the source at the checkpoint.
 */
int ota_item_read(ota_item_t *item, void *buf, size_t len);

/** Read exactly @p len bytes (OTA_ERR_IMG_TRUNCATED if the stream ends first). */
int ota_item_read_exact(ota_item_t *item, void *buf, size_t len);

#endif /* OTA_ITEM_H */
