/* The default target (target.h): the item's power-cut-safe partition writer; commit writes
 * sector 0, then the procedure's activate (the app: switch otadata). */
#include "ota/ota_err.h"
#include "path.h"

static int target_write(void *arg, const uint8_t *data, size_t len)
{
    return ota_item_put(arg, data, len);
}

static int target_read(void *arg, uint32_t off, void *buf, size_t len)
{
    ota_item_t *item = arg;
    return ota_item_staged_read(&item->writer, off, buf, len);
}

static uint64_t target_written(void *arg)
{
    ota_item_t *item = arg;
    return item->writer.written;
}

static int target_commit(void *arg)
{
    ota_item_t *item = arg;
    int err = ota_pw_commit(&item->writer);
    if (err == OTA_OK && item->activate != NULL) {
        err = item->activate(item->activate_ctx);
    }
    return err;
}

void ota_item_target(ota_item_t *item, ota_target_t *out)
{
    out->name = item->target.info.type == OTA_PART_TYPE_APP ? "app slot" : "data partition";
    out->partition = &item->target;
    out->write = target_write;
    out->read = target_read;
    out->written = target_written;
    out->commit = target_commit;
    out->ctx = item;
}
