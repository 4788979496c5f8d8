/* A parsed release manifest against the device's partition table (ota_manifest.h): every item has
 * a partition of its kind that it fits, and no two items share flash. Apart from the parser: this
 * needs no JSON (nor jsmn), only the parsed struct and the table. */
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_manifest.h"

int ota_manifest_check_partitions(const ota_manifest_t *m, const ota_partition_table_t *table, int *bad_item)
{
    if (bad_item != NULL) {
        *bad_item = -1;
    }
    if (m == NULL || table == NULL || m->count > OTA_MANIFEST_MAX_ITEMS) {
        return OTA_ERR_INVALID_ARG;
    }
    const ota_partition_info_t *part[OTA_MANIFEST_MAX_ITEMS] = {NULL};
    for (unsigned i = 0; i < m->count; i++) {
        const ota_manifest_item_t *it = &m->items[i];
        const ota_partition_info_t *p = NULL;
        bool app = it->type == OTA_MANIFEST_ITEM_APP;
        if (it->label[0] != '\0') {
            p = ota_partition_find_by_label(table, it->label);
        } else if (app) {
            /* the next OTA slot is one of them: the smallest is the one the item must fit */
            for (size_t e = 0; e < table->count && e < OTA_PARTITION_MAX_ENTRIES; e++) {
                const ota_partition_info_t *q = &table->entries[e];
                if (q->type == OTA_PART_TYPE_APP && q->subtype >= OTA_PART_SUBTYPE_APP_OTA_0 &&
                    q->subtype <= OTA_PART_SUBTYPE_APP_OTA_MAX && (p == NULL || q->size < p->size)) {
                    p = q;
                }
            }
        }
        bool type_ok =
            p != NULL && (app ? p->type == OTA_PART_TYPE_APP && p->subtype >= OTA_PART_SUBTYPE_APP_OTA_0 &&
                                    p->subtype <= OTA_PART_SUBTYPE_APP_OTA_MAX
                              : p->type == OTA_PART_TYPE_DATA && p->subtype != OTA_PART_SUBTYPE_DATA_OTA);
        if (!type_ok || (it->has_size && it->size > p->size)) {
            if (bad_item != NULL) {
                *bad_item = (int)i;
            }
            return OTA_ERR_MANIFEST_PARTITION;
        }
        part[i] = it->label[0] != '\0' ? p : NULL; /* an unlabelled app has no fixed place yet */
        for (unsigned j = 0; j < i && part[i] != NULL; j++) {
            if (part[j] != NULL && (uint64_t)part[i]->offset < (uint64_t)part[j]->offset + part[j]->size &&
                (uint64_t)part[j]->offset < (uint64_t)part[i]->offset + part[i]->size) {
                if (bad_item != NULL) {
                    *bad_item = (int)i;
                }
                return OTA_ERR_MANIFEST_OVERLAP;
            }
        }
    }
    return OTA_OK;
}
