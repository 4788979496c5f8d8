/* esp_ota_ops.c semantics on an ota_device_t (reference §2.6, §2.7, §4.4). */
#include "ota/ota_ops.h"

#include <string.h>

#include "ota/ota_err.h"
#include "boot/ota_image_sig.h"
#include "ota/ota_log.h"
#include "boot/ota_otadata_floor.h"

static const char *TAG = "esp_ota_ops";

void ota_ops_validator_config(const ota_device_t *dev, ota_image_validator_config_t *cfg)
{
    ota_device_validator_config(dev, cfg);
}

int ota_ops_read_otadata(const ota_device_t *dev, ota_otadata_entry_t entries[2])
{
    const ota_partition_info_t *info = ota_device_otadata(dev);
    if (info == NULL) {
        OTA_LOGE(TAG, "not found otadata");
        return OTA_ERR_NOT_FOUND;
    }
    ota_partition_t part;
    ota_device_partition(dev, info, &part);
    for (int i = 0; i < 2; i++) {
        uint8_t raw[OTA_OTADATA_ENTRY_SIZE];
        int err = ota_partition_read(&part, (uint32_t)i * OTA_OTADATA_SECTOR_SIZE, raw, sizeof raw);
        if (err != OTA_OK) {
            return err;
        }
        ota_otadata_entry_decode(raw, &entries[i]);
    }
    return OTA_OK;
}

/* Both writers: ESP-IDF's (erase the sector, program the 32-byte entry: the bootloader's
 * write_otadata, esp_ota_ops' rewrite_ota_seq) and ours, which programs the data partitions'
 * version floors back before the entry (ota_otadata_floor.h). Then the entry is read back. */
static int write_entry(const ota_device_t *dev, int index, const ota_otadata_entry_t *entry, bool keep_floors)
{
    const ota_partition_info_t *info = ota_device_otadata(dev);
    if (info == NULL) {
        return OTA_ERR_NOT_FOUND;
    }
    if (index != 0 && index != 1) {
        return OTA_ERR_INVALID_ARG;
    }
    int err = ota_device_check_writable(dev, info); /* an otadata entry on top of the app or table */
    if (err != OTA_OK) {
        return err;
    }
    ota_partition_t part;
    ota_device_partition(dev, info, &part);
    uint32_t offset = (uint32_t)index * OTA_OTADATA_SECTOR_SIZE;
    uint8_t raw[OTA_OTADATA_ENTRY_SIZE];
    ota_otadata_entry_encode(entry, raw);
    if (keep_floors) {
        err = ota_otadata_floor_rewrite(dev, index, raw);
    } else {
        err = ota_partition_erase_range(&part, offset, OTA_OTADATA_SECTOR_SIZE);
        if (err == OTA_OK) {
            err = ota_partition_program(&part, offset, raw, sizeof raw);
        }
    }
    uint8_t back[OTA_OTADATA_ENTRY_SIZE];
    if (err == OTA_OK) {
        err = ota_partition_read(&part, offset, back, sizeof back);
    }
    if (err == OTA_OK && memcmp(back, raw, sizeof raw) != 0) {
        /* worn cells program silently wrong (CONFIG_SPI_FLASH_VERIFY_WRITE catches it too) */
        OTA_LOGE(TAG, "otadata[%d] reads back different from what was written", index);
        err = OTA_ERR_SVC_VERIFY_FAILED;
    }
    return err;
}

int ota_ops_write_otadata(const ota_device_t *dev, int index, const ota_otadata_entry_t *entry)
{
    return write_entry(dev, index, entry, false);
}

const ota_partition_info_t *ota_ops_get_running_partition(const ota_device_t *dev)
{
    return ota_device_running(dev);
}

uint32_t ota_ops_get_app_partition_count(const ota_device_t *dev)
{
    return ota_device_ota_slot_count(dev);
}

/* find_default_boot_partition(): factory, else the first OTA app, else the test app. */
static const ota_partition_info_t *default_boot_partition(const ota_device_t *dev)
{
    const ota_partition_info_t *p = ota_device_find(dev, OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_APP_FACTORY);
    for (uint8_t s = OTA_PART_SUBTYPE_APP_OTA_0; p == NULL && s <= OTA_PART_SUBTYPE_APP_OTA_MAX; s++) {
        p = ota_device_find(dev, OTA_PART_TYPE_APP, s);
    }
    if (p == NULL) {
        p = ota_device_find(dev, OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_APP_TEST);
    }
    return p;
}

const ota_partition_info_t *ota_ops_get_boot_partition(const ota_device_t *dev)
{
    ota_otadata_entry_t e[2];
    if (ota_device_otadata(dev) == NULL || ota_ops_read_otadata(dev, e) != OTA_OK) {
        return default_boot_partition(dev);
    }
    uint32_t count = ota_device_ota_slot_count(dev);
    if ((ota_otadata_entry_is_invalid(&e[0]) && ota_otadata_entry_is_invalid(&e[1])) || count == 0) {
        return default_boot_partition(dev);
    }
    int active = ota_otadata_active(e);
    if (active < 0) {
        OTA_LOGE(TAG, "ota data invalid, no current app. Assuming factory");
        return default_boot_partition(dev);
    }
    return ota_device_ota_slot(dev, ota_otadata_slot(e[active].ota_seq, count));
}

const ota_partition_info_t *ota_ops_get_next_update_partition(const ota_device_t *dev,
                                                              const ota_partition_info_t *start_from)
{
    if (start_from == NULL) {
        start_from = ota_device_running(dev);
    }
    bool next_is_result = false;
    const ota_partition_info_t *first = NULL;
    for (uint8_t s = OTA_PART_SUBTYPE_APP_OTA_0; s <= OTA_PART_SUBTYPE_APP_OTA_MAX; s++) {
        const ota_partition_info_t *p = ota_device_find(dev, OTA_PART_TYPE_APP, s);
        if (p == NULL) {
            continue;
        }
        if (first == NULL) {
            first = p;
        }
        if (next_is_result) {
            return p;
        }
        if (start_from != NULL && p->offset == start_from->offset && p->subtype == start_from->subtype) {
            next_is_result = true;
        }
    }
    return first;
}

int ota_ops_image_verify(const ota_device_t *dev, const ota_partition_info_t *part, bool silent,
                         ota_image_info_t *info, ota_image_diag_t *diag)
{
    if (part == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_image_validator_config_t cfg;
    ota_ops_validator_config(dev, &cfg);
    ota_partition_t p;
    ota_device_partition(dev, part, &p);
    return ota_image_verify_partition(&p, &cfg, silent, info, diag);
}

int ota_ops_get_partition_description(const ota_device_t *dev, const ota_partition_info_t *part,
                                      ota_app_desc_t *out)
{
    if (part == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_partition_t p;
    ota_device_partition(dev, part, &p);
    int err = ota_image_read_app_desc(&p, out);
    return err == OTA_ERR_IMG_APP_DESC ? OTA_ERR_NOT_FOUND : err;
}

/* Anti-rollback check of the app in a partition (check_anti_rollback in the bootloader). */
static bool secure_version_ok(const ota_device_t *dev, const ota_partition_info_t *part)
{
    ota_app_desc_t desc;
    if (ota_ops_get_partition_description(dev, part, &desc) != OTA_OK) {
        return false;
    }
    return ota_device_secure_version_ok(dev, desc.secure_version);
}

static int check_switch_possible(const ota_device_t *dev, const ota_partition_info_t *target);

int ota_ops_check_update_target(const ota_device_t *dev, const ota_partition_info_t *target)
{
    if (target == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (target->type != OTA_PART_TYPE_APP) {
        return ota_device_check_writable(dev, target);
    }
    if (!ota_partition_is_ota_app(target)) {
        return OTA_ERR_NOT_AN_APP_SLOT;
    }
    const ota_partition_info_t *running = ota_device_running(dev);
    if (running != NULL && running->offset == target->offset) {
        return OTA_ERR_PARTITION_CONFLICT;
    }
    if (dev->rollback_enabled && running != NULL && ota_partition_is_ota_app(running)) {
        uint32_t state;
        if (ota_ops_get_state_partition(dev, running, &state) == OTA_OK && state == OTA_IMG_PENDING_VERIFY) {
            OTA_LOGE(TAG, "Running app has not confirmed state (ESP_OTA_IMG_PENDING_VERIFY)");
            return OTA_ERR_ROLLBACK_INVALID_STATE;
        }
    }
    /* Before anything is erased: the switch after the write must be possible. */
    int err = check_switch_possible(dev, target);
    if (err != OTA_OK) {
        return err;
    }
    /* By address, whatever the table says: a slot that overlaps the running app, otadata, the
     * table or the bootloader is not a target (the writer checks it again). */
    return ota_device_check_writable(dev, target);
}

int ota_ops_invalidate_inactive_ota_data_slot(const ota_device_t *dev)
{
    ota_otadata_entry_t e[2];
    int err = ota_ops_read_otadata(dev, e);
    if (err != OTA_OK) {
        return err;
    }
    uint32_t count = ota_device_ota_slot_count(dev);
    int active = ota_otadata_active(e);
    if (active < 0 || count == 0) {
        return OTA_OK;
    }
    int inactive = 1 - active;
    if (e[inactive].ota_seq == OTA_OTADATA_SEQ_BLANK || !ota_otadata_entry_crc_ok(&e[inactive])) {
        return OTA_OK;
    }
    const ota_partition_info_t *slot = ota_device_ota_slot(dev, ota_otadata_slot(e[inactive].ota_seq, count));
    const ota_partition_info_t *running = ota_device_running(dev);
    if (slot != NULL && (running == NULL || running->offset != slot->offset)) {
        /* the entry goes (esp_ota_erase_last_boot_app_partition erases the sector); the data
         * partitions' version floors are programmed back */
        return ota_otadata_floor_rewrite(dev, inactive, NULL);
    }
    return OTA_OK;
}

/* Which entry a switch to OTA slot @p slot writes and with which seq (esp_rewrite_ota_data):
 * OTA_ERR_OTADATA_SEQ_EXHAUSTED when no seq above the active one names the slot. */
static int plan_switch(const ota_otadata_entry_t e[2], uint32_t slot, uint32_t count, int *next,
                       uint32_t *seq)
{
    int active = ota_otadata_active(e);
    if (active < 0) {
        *next = 0;
        *seq = slot + 1;
        return OTA_OK;
    }
    if (ota_otadata_slot(e[active].ota_seq, count) == slot) {
        *next = active; /* already selected: only the state is refreshed */
        *seq = e[active].ota_seq;
        return OTA_OK;
    }
    *next = 1 - active;
    int err = ota_otadata_next_seq(e[active].ota_seq, slot, count, seq);
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "otadata seq 0x%08x: no higher sequence number selects ota_%u of %u slots",
                 (unsigned)e[active].ota_seq, (unsigned)slot, (unsigned)count);
    }
    return err;
}

/* Could the boot be switched to @p target (an OTA slot) without touching the flash? */
static int check_switch_possible(const ota_device_t *dev, const ota_partition_info_t *target)
{
    ota_otadata_entry_t e[2];
    uint32_t count = ota_device_ota_slot_count(dev);
    uint32_t slot = (uint32_t)(target->subtype - OTA_PART_SUBTYPE_APP_OTA_0);
    if (ota_device_otadata(dev) == NULL || slot >= count || ota_ops_read_otadata(dev, e) != OTA_OK) {
        return OTA_OK; /* reported by the switch itself, as before */
    }
    int next;
    uint32_t seq;
    return plan_switch(e, slot, count, &next, &seq);
}

/* esp_rewrite_ota_data, v6.0+ semantics; then the bootloader's own selection is run on what was
 * written, so a switch that would not boot the slot is never reported as done. */
static int rewrite_ota_data(ota_device_t *dev, uint32_t slot)
{
    ota_otadata_entry_t e[2];
    int err = ota_ops_read_otadata(dev, e);
    if (err != OTA_OK) {
        return err;
    }
    uint32_t count = ota_device_ota_slot_count(dev);
    if (slot >= count) {
        return OTA_ERR_INVALID_ARG;
    }
    int next;
    uint32_t seq;
    err = plan_switch(e, slot, count, &next, &seq);
    if (err != OTA_OK) {
        return err;
    }
    /* Fields not set here (seq_label) keep what that sector held, as in ESP-IDF. */
    e[next].ota_state = dev->rollback_enabled ? OTA_IMG_NEW : OTA_IMG_UNDEFINED;
    e[next].ota_seq = seq;
    e[next].crc = ota_otadata_crc(seq);
    err = write_entry(dev, next, &e[next], true);
    if (err == OTA_OK) {
        err = ota_ops_read_otadata(dev, e);
    }
    if (err == OTA_OK) {
        int active = ota_otadata_active(e);
        if (active < 0 || ota_otadata_slot(e[active].ota_seq, count) != slot) {
            OTA_LOGE(TAG, "otadata written, but the bootloader would not select ota_%u", (unsigned)slot);
            err = OTA_ERR_OTADATA_INVALID;
        }
    }
    return err;
}

int ota_ops_set_boot_partition(ota_device_t *dev, const ota_partition_info_t *part)
{
    if (part == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (part->type != OTA_PART_TYPE_APP) {
        return OTA_ERR_NOT_AN_APP_SLOT;
    }
    ota_image_info_t info;
    int err = ota_ops_image_verify(dev, part, false, &info, NULL);
    if (err == OTA_OK && ota_device_app_updates_signed(dev)) {
        /* esp_ota_set_boot_partition -> image_validate -> esp_image_verify, which with
         * CONFIG_SECURE_SIGNED_ON_UPDATE (Secure Boot V2, or signed apps without it) checks the
         * signature too (ESP-IDF v6.0.2 app_update/esp_ota_ops.c, esp_image_format.c) */
        err = ota_image_sig_verify_boot(dev, part, info.image_len);
        if (err != OTA_OK) {
            OTA_LOGE(TAG, "'%s' is not signed by a trusted key: %s", part->label, ota_strerror(err));
        }
    }
    if (err != OTA_OK) {
        return err;
    }
    return ota_ops_set_boot_partition_verified(dev, part, &info);
}

int ota_ops_set_boot_partition_verified(ota_device_t *dev, const ota_partition_info_t *part,
                                        const ota_image_info_t *info)
{
    if (part == NULL || info == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (part->type != OTA_PART_TYPE_APP) {
        return OTA_ERR_NOT_AN_APP_SLOT;
    }
    const ota_partition_info_t *otadata = ota_device_otadata(dev);
    if (part->subtype == OTA_PART_SUBTYPE_APP_FACTORY) {
        if (otadata == NULL) {
            return OTA_ERR_NOT_FOUND;
        }
        /* esp_ota_set_boot_partition erases the whole partition; here each sector in turn, the
         * floors programmed back into it, so the other one holds them meanwhile */
        int err = ota_otadata_floor_rewrite(dev, 0, NULL);
        return err == OTA_OK ? ota_otadata_floor_rewrite(dev, 1, NULL) : err;
    }
    if (!ota_partition_is_ota_app(part)) {
        return OTA_ERR_NOT_AN_APP_SLOT; /* test app: esp_ota_set_boot_partition refuses it too */
    }
    if (dev->anti_rollback_enabled && info->app_desc_valid &&
        ota_device_check_secure_version(dev, info->app_desc.secure_version) == OTA_ERR_SECURE_VERSION_RANGE) {
        return OTA_ERR_SECURE_VERSION_RANGE; /* nothing written: it could never be confirmed */
    }
    if (dev->anti_rollback_enabled && info->app_desc_valid &&
        !ota_device_secure_version_ok(dev, info->app_desc.secure_version)) {
        OTA_LOGE(TAG, "The current running firmware has a secure version %u higher than the new one %u",
                 (unsigned)dev->efuse_secure_version, (unsigned)info->app_desc.secure_version);
        ota_partition_t p;
        ota_device_partition(dev, part, &p);
        int e2 = ota_device_check_writable(dev, part);
        if (e2 == OTA_OK) {
            e2 = ota_partition_erase_range(&p, 0, part->size);
        }
        return e2 != OTA_OK ? e2 : OTA_ERR_SECURE_VERSION;
    }
    return rewrite_ota_data(dev, (uint32_t)(part->subtype - OTA_PART_SUBTYPE_APP_OTA_0));
}

bool ota_ops_check_rollback_is_possible(const ota_device_t *dev)
{
    ota_otadata_entry_t e[2];
    if (ota_device_otadata(dev) == NULL || ota_ops_read_otadata(dev, e) != OTA_OK) {
        return false;
    }
    uint32_t count = ota_device_ota_slot_count(dev);
    if (count == 0) {
        return false;
    }
    bool valid[2] = {ota_otadata_entry_is_valid(&e[0]), ota_otadata_entry_is_valid(&e[1])};
    int active = ota_otadata_select(e, valid, true);
    if (active < 0) {
        return false;
    }
    int last = 1 - active;
    if (!dev->anti_rollback_enabled && !valid[last]) {
        const ota_partition_info_t *factory =
            ota_device_find(dev, OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_APP_FACTORY);
        if (factory != NULL && ota_ops_image_verify(dev, factory, true, NULL, NULL) == OTA_OK) {
            return true;
        }
    }
    if (valid[last]) {
        const ota_partition_info_t *slot = ota_device_ota_slot(dev, ota_otadata_slot(e[last].ota_seq, count));
        if (slot != NULL && ota_ops_image_verify(dev, slot, true, NULL, NULL) == OTA_OK) {
            return !dev->anti_rollback_enabled || secure_version_ok(dev, slot);
        }
    }
    return false;
}

/* esp_ota_current_ota_is_workable(valid) */
static int current_ota_is_workable(ota_device_t *dev, bool valid)
{
    ota_otadata_entry_t e[2];
    int err = ota_ops_read_otadata(dev, e);
    if (err != OTA_OK) {
        return err;
    }
    int active = ota_otadata_active(e);
    uint32_t count = ota_device_ota_slot_count(dev);
    if (active < 0 || count == 0) {
        OTA_LOGE(TAG, "Running firmware is factory");
        return OTA_ERR_INVALID_STATE;
    }
    const ota_partition_info_t *selected =
        ota_device_ota_slot(dev, ota_otadata_slot(e[active].ota_seq, count));
    const ota_partition_info_t *running = ota_device_running(dev);
    if (running != NULL && selected != NULL && running->offset != selected->offset) {
        /* ESP-IDF marks the active entry whatever runs. Confirming an app that never ran would
         * make it VALID with the eFuse still at the running app's version: a later rollback
         * could then boot an app below a VALID one. So a confirm is refused here. */
        OTA_LOGW(TAG, "running app %s is not the one otadata selects (%s)", running->label, selected->label);
        if (valid) {
            OTA_LOGE(TAG, "boot %s before confirming it", selected->label);
            return OTA_ERR_INVALID_STATE;
        }
    }
    if (valid) {
        if (e[active].ota_state != OTA_IMG_VALID) {
            ota_app_desc_t desc, sel;
            bool have_desc =
                running != NULL && ota_ops_get_partition_description(dev, running, &desc) == OTA_OK;
            /* Check the burn can happen before VALID is written: a VALID entry whose secure version
             * the eFuse cannot take (the running app's, which is burnt now, or the selected one's,
             * which the bootloader burns at the next boot) would leave the eFuse low for good and
             * admit a downgrade later. */
            if (dev->anti_rollback_enabled &&
                ((have_desc && ota_device_check_secure_version(dev, desc.secure_version) ==
                                   OTA_ERR_SECURE_VERSION_RANGE) ||
                 (selected != NULL && ota_ops_get_partition_description(dev, selected, &sel) == OTA_OK &&
                  ota_device_check_secure_version(dev, sel.secure_version) ==
                      OTA_ERR_SECURE_VERSION_RANGE))) {
                return OTA_ERR_SECURE_VERSION_RANGE;
            }
            e[active].ota_state = OTA_IMG_VALID;
            e[active].crc = ota_otadata_crc(e[active].ota_seq);
            err = write_entry(dev, active, &e[active], true);
            if (err != OTA_OK) {
                return err;
            }
            /* VALID first, then the eFuse (esp_ota_mark_app_valid_cancel_rollback's order): a cut
             * between them leaves a VALID entry the bootloader burns at the next boot. The reverse
             * order would leave an ABORTED new app above a burnt eFuse: nothing to boot. */
            if (dev->anti_rollback_enabled && have_desc) {
                return ota_device_burn_secure_version(dev, desc.secure_version);
            }
        }
        return OTA_OK;
    }
    if (!ota_ops_check_rollback_is_possible(dev)) {
        OTA_LOGE(TAG, "Rollback is not possible, do not have any suitable apps in slots");
        return OTA_ERR_ROLLBACK_FAILED;
    }
    e[active].ota_state = OTA_IMG_INVALID;
    e[active].crc = ota_otadata_crc(e[active].ota_seq);
    return write_entry(dev, active, &e[active], true);
}

int ota_ops_mark_app_valid_cancel_rollback(ota_device_t *dev)
{
    return current_ota_is_workable(dev, true);
}

int ota_ops_mark_app_invalid_rollback(ota_device_t *dev)
{
    return current_ota_is_workable(dev, false);
}

int ota_ops_get_state_partition(const ota_device_t *dev, const ota_partition_info_t *part, uint32_t *state)
{
    if (part == NULL || state == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!ota_partition_is_ota_app(part)) {
        return OTA_ERR_NOT_SUPPORTED;
    }
    uint32_t count = ota_device_ota_slot_count(dev);
    ota_otadata_entry_t e[2];
    if (count == 0 || ota_device_otadata(dev) == NULL || ota_ops_read_otadata(dev, e) != OTA_OK) {
        return OTA_ERR_NOT_FOUND;
    }
    uint32_t want = (uint32_t)(part->subtype - OTA_PART_SUBTYPE_APP_OTA_0);
    for (int i = 0; i < 2; i++) {
        if (ota_otadata_slot(e[i].ota_seq, count) == want && ota_otadata_entry_crc_ok(&e[i])) {
            *state = e[i].ota_state;
            return OTA_OK;
        }
    }
    return OTA_ERR_NOT_FOUND;
}

const ota_partition_info_t *ota_ops_get_last_invalid_partition(const ota_device_t *dev)
{
    ota_otadata_entry_t e[2];
    if (ota_device_otadata(dev) == NULL || ota_ops_read_otadata(dev, e) != OTA_OK) {
        return NULL;
    }
    bool invalid[2];
    for (int i = 0; i < 2; i++) {
        invalid[i] = e[i].ota_seq != OTA_OTADATA_SEQ_BLANK && ota_otadata_entry_crc_ok(&e[i]) &&
                     (e[i].ota_state == OTA_IMG_INVALID || e[i].ota_state == OTA_IMG_ABORTED);
    }
    int pick = ota_otadata_select(e, invalid, false);
    uint32_t count = ota_device_ota_slot_count(dev);
    if (pick < 0 || count == 0) {
        return NULL;
    }
    const ota_partition_info_t *slot = ota_device_ota_slot(dev, ota_otadata_slot(e[pick].ota_seq, count));
    if (slot != NULL && ota_ops_image_verify(dev, slot, true, NULL, NULL) == OTA_OK) {
        return slot;
    }
    return NULL;
}
