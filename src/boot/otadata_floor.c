/* Data partitions' version floors in the otadata sectors' spare bytes (ota_otadata_floor.h). */
#include "boot/ota_otadata_floor.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "formats/ota_release_record.h"

static const char *TAG = "ota_floor";

/* What a rewrite carries over (keep()): the last floor record of each of the
 * OTA_OTADATA_FLOOR_PARTS partitions last kept, the newest release BEGIN, and the newest COMMIT for
 * each of the OTA_OTADATA_RELEASE_KEEP - 1 otadata seqs last bound (the bindings of both entries,
 * of a switch to come, one older). And where each sector's free slots begin. */
#define KEPT (OTA_OTADATA_FLOOR_PARTS + OTA_OTADATA_RELEASE_KEEP)

typedef struct {
    uint8_t raw[KEPT][OTA_FLOOR_LOG_RECORD_SIZE]; /* as found (valid CRC) */
    uint32_t seq[KEPT];                           /* 0: none */
    uint32_t max_seq;
    uint32_t free_slot[2]; /* OTA_FLOOR_LOG_SLOTS: full */
} floors_t;

/* The same, and the last floor record of one partition (ota_otadata_floor_get, _keep). */
typedef struct {
    floors_t f; /* first: visit_mine passes it on to visit */
    const ota_partition_info_t *part;
    ota_floor_record_t mine; /* seq 0: none; found however many partitions the log holds */
} mine_t;

/* By kind - 1: the slots of raw[] it may take, and its key: records with the same key replace each
 * other (newer seq wins), a new key takes a free slot or the oldest record's. A floor's key is the
 * partition's offset and label (bytes 8..27, NUL-padded: one encoding each); a BEGIN has none (the
 * newest is kept); a COMMIT's is the otadata seq it binds. */
static const uint8_t k_keep[3][4] = {
    {0, OTA_OTADATA_FLOOR_PARTS, 8, 20},
    {OTA_OTADATA_FLOOR_PARTS, OTA_OTADATA_FLOOR_PARTS + 1, 0, 0},
    {OTA_OTADATA_FLOOR_PARTS + 1, KEPT, OTA_RELEASE_RECORD_OTADATA_AT, 4},
};

static int open_otadata(const ota_device_t *dev, ota_partition_t *p)
{
    const ota_partition_info_t *info = ota_device_otadata(dev);
    if (info == NULL || info->size < 2 * OTA_OTADATA_SECTOR_SIZE) {
        return OTA_ERR_NOT_FOUND;
    }
    ota_device_partition(dev, info, p);
    return OTA_OK;
}

static void visit(void *ctx, const uint8_t *raw, int kind, uint32_t seq)
{
    floors_t *f = ctx;
    const uint8_t *t = k_keep[kind - 1];
    f->max_seq = seq > f->max_seq ? seq : f->max_seq;
    uint32_t k = t[0];
    for (uint32_t i = t[0]; i < t[1]; i++) {
        if (f->seq[i] != 0 && memcmp(f->raw[i] + t[2], raw + t[2], t[3]) == 0) {
            k = i;
            break;
        }
        k = f->seq[i] < f->seq[k] ? i : k;
    }
    if (seq > f->seq[k]) {
        f->seq[k] = seq;
        memcpy(f->raw[k], raw, OTA_FLOOR_LOG_RECORD_SIZE);
    }
}

/* visit, and the last floor record of the partition asked about (a mine_t) */
static void visit_mine(void *ctx, const uint8_t *raw, int kind, uint32_t seq)
{
    mine_t *m = ctx;
    visit(&m->f, raw, kind, seq);
    ota_floor_record_t rec;
    if (kind == OTA_FLOOR_LOG_FLOOR && ota_floor_record_decode(raw, &rec) == OTA_OK &&
        ota_floor_record_is_for(&rec, m->part->offset, m->part->label) && rec.seq > m->mine.seq) {
        m->mine = rec;
    }
}

/* Each record with a valid CRC, sector 0 then 1: torn records are skipped; an erased slot ends a
 * sector's list. */
static int walk(const ota_partition_t *p, ota_otadata_log_fn fn, void *ctx, uint32_t free_slot[2])
{
    for (uint32_t s = 0; s < 2; s++) {
        free_slot[s] = OTA_FLOOR_LOG_SLOTS;
        for (uint32_t i = 0; i < OTA_FLOOR_LOG_SLOTS; i++) {
            uint8_t raw[OTA_FLOOR_LOG_RECORD_SIZE];
            int err = ota_partition_read(p, s * OTA_OTADATA_SECTOR_SIZE + ota_floor_log_slot_offset(i), raw,
                                         sizeof raw);
            if (err != OTA_OK) {
                return err;
            }
            uint32_t seq;
            int kind = ota_floor_log_kind(raw, &seq);
            if (kind == OTA_ERR_NOT_FOUND) {
                free_slot[s] = i;
                break;
            }
            if (kind > 0) {
                fn(ctx, raw, kind, seq);
            }
        }
    }
    return OTA_OK;
}

static int scan(const ota_partition_t *p, floors_t *f)
{
    memset(f, 0, sizeof *f);
    return walk(p, visit, f, f->free_slot);
}

/* scan, and @p part's last record into m->mine */
static int scan_mine(const ota_partition_t *p, mine_t *m, const ota_partition_info_t *part)
{
    memset(m, 0, sizeof *m);
    m->part = part;
    return walk(p, visit_mine, m, m->f.free_slot);
}

int ota_otadata_log_each(const ota_device_t *dev, ota_otadata_log_fn fn, void *ctx, uint32_t free_slot[2])
{
    ota_partition_t p;
    uint32_t slots[2];
    int err = open_otadata(dev, &p);
    return err == OTA_OK ? walk(&p, fn, ctx, free_slot != NULL ? free_slot : slots) : err;
}

/* The otadata partition, scanned, with @p part's last floor record in m->mine. */
static int open_mine(const ota_device_t *dev, ota_partition_t *p, mine_t *m, const ota_partition_info_t *part)
{
    int err = open_otadata(dev, p);
    return err == OTA_OK ? scan_mine(p, m, part) : err;
}

static const ota_floor_record_t *find(const mine_t *m)
{
    return m->mine.seq != 0 ? &m->mine : NULL;
}

int ota_otadata_floor_get(const ota_device_t *dev, const ota_partition_info_t *part, char *version)
{
    version[0] = '\0';
    ota_partition_t p;
    mine_t m;
    int err = open_mine(dev, &p, &m, part);
    if (err != OTA_OK) {
        return err;
    }
    const ota_floor_record_t *rec = find(&m);
    if (rec == NULL || rec->version[0] == '\0') {
        return OTA_ERR_NOT_FOUND;
    }
    memcpy(version, rec->version, sizeof rec->version);
    return OTA_OK;
}

/* Program @p len bytes and read them back (a worn cell would leave a record that fails its CRC:
 * better said now). */
static int program_checked(const ota_partition_t *p, uint32_t off, const uint8_t *data, uint32_t len)
{
    int err = ota_partition_program(p, off, data, len);
    uint8_t back[OTA_FLOOR_LOG_RECORD_SIZE];
    for (uint32_t done = 0; err == OTA_OK && done < len; done += sizeof back) {
        uint32_t n = len - done < sizeof back ? len - done : (uint32_t)sizeof back;
        err = ota_partition_read(p, off + done, back, n);
        if (err == OTA_OK && memcmp(back, data + done, n) != 0) {
            OTA_LOGE(TAG, "otadata at 0x%x reads back different from what was written",
                     (unsigned)(off + done));
            err = OTA_ERR_SVC_VERIFY_FAILED;
        }
    }
    return err;
}

/* Sets f->free_slot[index] to the slot after the records carried. */
static int rewrite(const ota_device_t *dev, const ota_partition_t *p, floors_t *f, int index,
                   const uint8_t *entry)
{
    int err = ota_device_check_writable(dev, &p->info);
    uint32_t base = (uint32_t)index * OTA_OTADATA_SECTOR_SIZE;
    if (err == OTA_OK) {
        err = ota_partition_erase_range(p, base, OTA_OTADATA_SECTOR_SIZE);
    }
    uint32_t slot = 0;
    for (uint32_t i = 0; err == OTA_OK && i < KEPT; i++) {
        if (f->seq[i] != 0) {
            err = program_checked(p, base + ota_floor_log_slot_offset(slot), f->raw[i],
                                  OTA_FLOOR_LOG_RECORD_SIZE);
            slot++;
        }
    }
    f->free_slot[index] = slot;
    if (err == OTA_OK && entry != NULL) {
        err = ota_partition_program(p, base, entry, OTA_OTADATA_ENTRY_SIZE);
    }
    return err;
}

int ota_otadata_floor_rewrite(const ota_device_t *dev, int index, const uint8_t *entry)
{
    if (index != 0 && index != 1) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_partition_t p;
    floors_t f;
    int err = open_otadata(dev, &p);
    if (err == OTA_OK) {
        err = scan(&p, &f);
    }
    return err == OTA_OK ? rewrite(dev, &p, &f, index, entry) : err;
}

/* The sector holding the active select entry (the bootloader's choice), -1 if none. */
static int active_sector(const ota_partition_t *p, uint8_t raw[2][OTA_OTADATA_ENTRY_SIZE], int *active)
{
    ota_otadata_entry_t e[2];
    for (int s = 0; s < 2; s++) {
        int err =
            ota_partition_read(p, (uint32_t)s * OTA_OTADATA_SECTOR_SIZE, raw[s], OTA_OTADATA_ENTRY_SIZE);
        if (err != OTA_OK) {
            return err;
        }
        ota_otadata_entry_decode(raw[s], &e[s]);
    }
    *active = ota_otadata_active(e);
    return OTA_OK;
}

/* Append @p raw, sealed with the next seq, to each sector (ota_otadata_log_append). */
static int append(const ota_device_t *dev, const ota_partition_t *p, floors_t *f,
                  uint8_t raw[OTA_FLOOR_LOG_RECORD_SIZE])
{
    int err = ota_device_check_writable(dev, &p->info);
    if (err != OTA_OK) {
        return err;
    }
    ota_floor_log_seal(raw, f->max_seq + 1u);
    uint8_t entries[2][OTA_OTADATA_ENTRY_SIZE];
    int active = -1;
    err = active_sector(p, entries, &active);
    int kept = 0;
    for (int s = 0; err == OTA_OK && s < 2; s++) {
        if (f->free_slot[s] >= OTA_FLOOR_LOG_SLOTS) {
            if (s == active) {
                continue; /* rewriting it could change the boot: the other sector takes it */
            }
            /* compact: the entry it holds goes back as it was, after the records */
            bool blank = true;
            for (uint32_t i = 0; i < OTA_OTADATA_ENTRY_SIZE && blank; i++) {
                blank = entries[s][i] == 0xFF;
            }
            err = rewrite(dev, p, f, s, blank ? NULL : entries[s]);
        }
        if (err == OTA_OK) {
            err = program_checked(
                p, (uint32_t)s * OTA_OTADATA_SECTOR_SIZE + ota_floor_log_slot_offset(f->free_slot[s]), raw,
                OTA_FLOOR_LOG_RECORD_SIZE);
            kept++;
        }
    }
    return err == OTA_OK && kept == 0 ? OTA_ERR_OTADATA_FLOOR_FULL : err;
}

int ota_otadata_log_append(const ota_device_t *dev, uint8_t raw[OTA_FLOOR_LOG_RECORD_SIZE])
{
    ota_partition_t p;
    floors_t f;
    int err = open_otadata(dev, &p);
    if (err == OTA_OK) {
        err = scan(&p, &f);
    }
    return err == OTA_OK ? append(dev, &p, &f, raw) : err;
}

int ota_otadata_floor_keep(const ota_device_t *dev, const ota_partition_info_t *part, const char *version)
{
    ota_partition_t p;
    mine_t m;
    int err = open_mine(dev, &p, &m, part);
    if (err != OTA_OK) {
        return err;
    }
    const ota_floor_record_t *last = find(&m);
    if (last != NULL ? strncmp(last->version, version, OTA_FLOOR_LOG_VERSION_MAX) == 0 : version[0] == '\0') {
        return OTA_OK; /* already the floor: nothing programmed */
    }
    ota_floor_record_t rec = {.part_offset = part->offset};
    memcpy(rec.label, part->label, OTA_FLOOR_LOG_LABEL_MAX);
    size_t vlen = strlen(version);
    memcpy(rec.version, version, vlen < OTA_FLOOR_LOG_VERSION_MAX ? vlen : OTA_FLOOR_LOG_VERSION_MAX);
    uint8_t raw[OTA_FLOOR_LOG_RECORD_SIZE];
    ota_floor_record_encode(&rec, raw);
    err = append(dev, &p, &m.f, raw);
    if (err == OTA_OK) {
        OTA_LOGI(TAG, "partition %s: version floor %s kept in otadata", part->label,
                 version[0] != '\0' ? version : "(none)");
    }
    return err;
}
