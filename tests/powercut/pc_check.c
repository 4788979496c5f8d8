/* The invariants of DESIGN.md §4, checked on the raw flash (also while the power is off), after
 * every boot, and at the end of every uninterrupted session. Expected contents come from the
 * images (the testdata tone files, the builder's apps) and from the uninterrupted run. */
#include "powercut.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "formats/ota_install_journal.h"
#include "ota/ota_ops.h"
#include "formats/ota_floor_log.h"
#include "ota/ota_otadata.h"
#include "ota/ota_semver_packed.h"
#include "ota/ota_tone.h"

const char *pc_inv_name(pc_inv_t inv)
{
    static const char *const names[] = {"inv1-boot", "inv2-otadata", "inv3-data", "inv4-running", "set",
                                        "floor",     "nor",          "rerun",     "final",        "harness"};
    return inv < PC_INV_COUNT ? names[inv] : "?";
}

const char *pc_data_state_name(pc_data_state_t s)
{
    static const char *const names[] = {"old", "new", "incomplete", "half-written-valid"};
    return names[s];
}

void pc_violation(pc_harness_t *h, pc_inv_t inv, const char *fmt, ...)
{
    h->inv_count[inv]++;
    if (h->run_violations++ == 0) {
        char text[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        snprintf(h->first_violation, sizeof h->first_violation, "%s, %s: %s", pc_inv_name(inv),
                 h->phase != NULL ? h->phase : "?", text);
    }
}

bool pc_holds(const uint8_t *mem, const ota_partition_info_t *part, const uint8_t *image, size_t len)
{
    return len <= part->size && memcmp(mem + part->offset, image, len) == 0;
}

static int slot_index(const pc_harness_t *h, const ota_partition_info_t *part)
{
    return part == h->slot[0] ? 0 : part == h->slot[1] ? 1 : -1;
}

/* What a slot holds, by its bytes. */
static const char *slot_content(const pc_harness_t *h, const uint8_t *mem, int slot)
{
    const pc_images_t *img = h->img;
    const ota_partition_info_t *p = h->slot[slot];
    if (pc_holds(mem, p, img->old_app, img->old_app_len)) {
        return "the old app";
    }
    if (pc_holds(mem, p, img->new_app, img->new_app_len)) {
        return "the new app";
    }
    if (pc_holds(mem, p, img->prev_app, img->prev_app_len)) {
        return "the previous app";
    }
    return ota_journal_is_present(mem + p->offset, 4) ? "an interrupted install (journal)"
                                                      : "an incomplete image";
}

/* The data-version item: ESP-ADF's 4-byte packed semver header, then the payload. Its strict
 * reader is the header: a packed semver that is not OTA_SEMVER_PACKED_INVALID (blank) and whose
 * parts unpack. */
static pc_data_state_t classify_dver(const pc_harness_t *h, const uint8_t *mem, const ota_partition_info_t *p,
                                     char *why, size_t why_size)
{
    const pc_images_t *img = h->img;
    if (pc_holds(mem, p, img->new_dver, img->new_dver_len)) {
        return PC_DATA_NEW;
    }
    if (pc_holds(mem, p, img->old_dver, img->old_dver_len)) {
        return PC_DATA_OLD;
    }
    if (ota_journal_is_present(mem + p->offset, 4)) {
        return PC_DATA_INCOMPLETE;
    }
    uint32_t packed = ota_semver_packed_read_le(mem + p->offset);
    char version[16];
    if (ota_semver_unpack(packed, version, sizeof version) != OTA_OK) {
        return PC_DATA_INCOMPLETE;
    }
    snprintf(
        why, why_size,
        "%s is neither the old nor the new data-version image but has a valid header (%s) and no journal",
        p->label, version);
    return PC_DATA_BAD;
}

pc_data_state_t pc_classify_part(const pc_harness_t *h, const uint8_t *mem, const ota_partition_info_t *p,
                                 int item, char *why, size_t why_size)
{
    const pc_images_t *img = h->img;
    why[0] = '\0';
    if (item == 1) {
        return classify_dver(h, mem, p, why, why_size);
    }
    if (pc_holds(mem, p, img->new_tone, img->new_tone_len)) {
        return PC_DATA_NEW;
    }
    if (pc_holds(mem, p, img->old_tone, img->old_tone_len)) {
        return PC_DATA_OLD;
    }
    if (ota_journal_is_present(mem + p->offset, 4)) {
        return PC_DATA_INCOMPLETE;
    }
    /* The strictest reader there is: what passes it would be taken for a tone image. */
    ota_tone_memory_t m = {mem + p->offset, p->size};
    ota_tone_info_t info;
    ota_tone_diag_t diag;
    int err = ota_tone_validate(ota_tone_memory_read, &m, p->size, &info, &diag);
    if (err != OTA_OK) {
        return PC_DATA_INCOMPLETE;
    }
    uint32_t first = 0;
    size_t n = img->new_tone_len < info.image_size ? img->new_tone_len : info.image_size;
    while (first < n && mem[p->offset + first] == img->new_tone[first]) {
        first++;
    }
    snprintf(
        why, why_size,
        "%s is neither the old nor the new image but passes strict tone validation (format %u, %u files, "
        "%u bytes; first byte differing from the new image at +0x%x) and has no journal",
        p->label, (unsigned)info.header.format, (unsigned)info.header.total_num, (unsigned)info.image_size,
        (unsigned)first);
    return PC_DATA_BAD;
}

pc_data_state_t pc_check_state(pc_harness_t *h)
{
    const uint8_t *mem = ota_flash_emu_memory(h->emu);
    const pc_images_t *img = h->img;

    /* 2: at least one valid otadata entry, always. */
    ota_otadata_entry_t e[2];
    bool valid[2];
    for (int i = 0; i < 2; i++) {
        ota_otadata_entry_decode(mem + h->otadata->offset + (uint32_t)i * OTA_OTADATA_SECTOR_SIZE, &e[i]);
        valid[i] = ota_otadata_entry_is_valid(&e[i]);
    }
    if (!valid[0] && !valid[1]) {
        char s0[12], s1[12];
        pc_violation(h, PC_INV_OTADATA,
                     "no valid otadata entry: [0] seq 0x%08x %s crc 0x%08x, [1] seq 0x%08x %s crc 0x%08x",
                     (unsigned)e[0].ota_seq, ota_otadata_state_name(e[0].ota_state, s0), (unsigned)e[0].crc,
                     (unsigned)e[1].ota_seq, ota_otadata_state_name(e[1].ota_state, s1), (unsigned)e[1].crc);
    }

    /* 1: whatever otadata can select is a complete image: the old app in its slot; in the target
     * slot the new app once switch_seq names it, or the previous app under its original entry. */
    for (int i = 0; i < 2; i++) {
        if (!valid[i]) {
            continue;
        }
        int slot = (int)ota_otadata_slot(e[i].ota_seq, 2);
        const uint8_t *want = NULL;
        size_t want_len = 0;
        const char *what = NULL;
        if (slot == h->run_slot) {
            want = img->old_app, want_len = img->old_app_len, what = "the old app";
        } else if (e[i].ota_seq == h->switch_seq) {
            want = img->new_app, want_len = img->new_app_len, what = "the new app";
        } else if (h->initial != PC_INITIAL_FRESH && e[i].ota_seq == h->initial_seq[i]) {
            want = img->prev_app, want_len = img->prev_app_len, what = "the previous app";
        }
        if (want == NULL) {
            pc_violation(h, PC_INV_BOOT,
                         "otadata[%d] has seq %u (slot %s), which no step of the update writes", i,
                         (unsigned)e[i].ota_seq, h->slot[slot]->label);
        } else if (!pc_holds(mem, h->slot[slot], want, want_len)) {
            pc_violation(h, PC_INV_BOOT, "otadata[%d] (seq %u) selects %s, which holds %s, not %s complete",
                         i, (unsigned)e[i].ota_seq, h->slot[slot]->label, slot_content(h, mem, slot), what);
        }
    }

    /* 3: the data partition is old, new, or recognisably incomplete. */
    char why[300];
    pc_data_state_t ds = pc_classify_part(h, mem, h->tone, 0, why, sizeof why);
    if (ds == PC_DATA_BAD) {
        pc_violation(h, PC_INV_DATA, "%s", why);
    }
    if (h->scenario != PC_SCENARIO_EXAMPLE) {
        pc_release_check_data(h, mem); /* the same for every other data partition of the table */
    }

    /* 4: the slot of the running (or last running) app is byte for byte what it booted. The spy
     * flash also refuses any program/erase that touches it while it runs. */
    if (h->last_running >= 0) {
        const uint8_t *ref = h->last_running == h->run_slot ? h->initial_mem : h->final_mem;
        const ota_partition_info_t *p = h->slot[h->last_running];
        if (memcmp(mem + p->offset, ref + p->offset, p->size) != 0) {
            uint32_t at = 0;
            while (mem[p->offset + at] == ref[p->offset + at]) {
                at++;
            }
            pc_violation(h, PC_INV_RUNNING, "%s, from which the device runs, changed at +0x%x", p->label,
                         (unsigned)at);
        }
    }
    return ds;
}

void pc_check_boot(pc_harness_t *h, int err, const ota_partition_info_t *booted, const char *version)
{
    const uint8_t *mem = ota_flash_emu_memory(h->emu);
    if (err != OTA_OK || booted == NULL) {
        pc_violation(h, PC_INV_BOOT, "no app boots: %s", ota_strerror(err));
        return;
    }
    int slot = slot_index(h, booted);
    if (slot < 0) {
        pc_violation(h, PC_INV_BOOT, "booted %s, which is not an OTA slot", booted->label);
        return;
    }
    const char *content = slot_content(h, mem, slot);
    bool old_ok =
        slot == h->run_slot && strcmp(content, "the old app") == 0 && strcmp(version, PC_OLD_VERSION) == 0;
    bool new_ok =
        slot == h->target_slot && strcmp(content, "the new app") == 0 && strcmp(version, PC_NEW_VERSION) == 0;
    if (!old_ok && !new_ok) {
        pc_violation(h, PC_INV_BOOT, "booted %s holding %s (version %s): neither the old nor the new app",
                     booted->label, content, version);
    } else if (h->scenario != PC_SCENARIO_EXAMPLE) {
        pc_release_check_set(h, new_ok);
    }
    h->last_running = slot;
}

void pc_check_final(pc_harness_t *h)
{
    if (h->scenario == PC_SCENARIO_RELEASE) {
        pc_release_check_final(h);
    }
    const uint8_t *mem = ota_flash_emu_memory(h->emu);
    const ota_partition_info_t *running = ota_device_running(&h->dev);
    const ota_partition_info_t *want = h->slot[h->final_slot];
    if (running != want) {
        pc_violation(h, PC_INV_FINAL, "%s runs; after the uninterrupted run %s does",
                     running != NULL ? running->label : "nothing", want->label);
        return;
    }
    ota_app_desc_t desc;
    const char *version = h->final_slot == h->target_slot ? PC_NEW_VERSION : PC_OLD_VERSION;
    if (ota_ops_get_partition_description(&h->dev, running, &desc) != OTA_OK ||
        strcmp(desc.version, version) != 0) {
        pc_violation(h, PC_INV_FINAL, "the running app is not version %s", version);
    }
    if (h->dev.efuse_secure_version != h->final_dev.efuse_secure_version) {
        pc_violation(h, PC_INV_FINAL, "eFuse secure version %u, after the uninterrupted run %u",
                     (unsigned)h->dev.efuse_secure_version, (unsigned)h->final_dev.efuse_secure_version);
    }
    /* Every byte of the flash, otadata's entries included (both sectors: seq, state, label, CRC),
     * equals the uninterrupted run's - except the data partitions' floor log after each entry
     * (ota_floor_log.h): it is history (a re-run appends the floor it starts from, a torn record
     * stays), and it is read only for a data partition that holds no valid image, which
     * flash_tone does not here. */
    uint32_t size = ota_flash_emu_config(h->emu)->size;
    uint32_t log0 = h->otadata->offset + OTA_FLOOR_LOG_FIRST;
    uint32_t log1 = log0 + OTA_OTADATA_SECTOR_SIZE;
    uint32_t log_len = OTA_OTADATA_SECTOR_SIZE - OTA_FLOOR_LOG_FIRST;
    uint32_t at = size, count = 0;
    for (uint32_t i = 0; i < size;) {
        uint32_t end = i < log0 ? log0 : i < log1 ? log1 : size;
        if (memcmp(mem + i, h->final_mem + i, end - i) != 0) {
            for (uint32_t j = i; j < end; j++) {
                at = at == size && mem[j] != h->final_mem[j] ? j : at;
                count += mem[j] != h->final_mem[j];
            }
        }
        i = end < size ? end + log_len : size;
    }
    if (count != 0) {
        uint32_t rel;
        const char *label = pc_partition_at(h, at, &rel);
        char extra[160] = "";
        if (strcmp(label, "otadata") == 0) {
            ota_otadata_entry_t a, b;
            uint32_t base = h->otadata->offset + rel / OTA_OTADATA_SECTOR_SIZE * OTA_OTADATA_SECTOR_SIZE;
            ota_otadata_entry_decode(mem + base, &a);
            ota_otadata_entry_decode(h->final_mem + base, &b);
            char sa[12], sb[12];
            snprintf(extra, sizeof extra, ": entry seq %u %s, uninterrupted seq %u %s", (unsigned)a.ota_seq,
                     ota_otadata_state_name(a.ota_state, sa), (unsigned)b.ota_seq,
                     ota_otadata_state_name(b.ota_state, sb));
        }
        pc_violation(h, PC_INV_FINAL,
                     "flash differs from the uninterrupted run's at 0x%06x (%s+0x%x), %u bytes%s",
                     (unsigned)at, label, (unsigned)rel, (unsigned)count, extra);
    }
}
