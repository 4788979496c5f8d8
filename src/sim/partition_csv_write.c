/* A table as CSV text, exactly as gen_esp32part.py prints it. Pure. */
#include "ota/ota_partition.h"
#include "ota/sim/ota_partition_csv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "ota/ota_err.h"

/* --- struct -> CSV ------------------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t size;
    size_t used;
} writer_t;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
put(writer_t *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->used < w->size ? w->buf + w->used : NULL, w->used < w->size ? w->size - w->used : 0,
                      fmt, ap);
    va_end(ap);
    w->used += n > 0 ? (size_t)n : 0;
}

int ota_partition_table_to_csv(const ota_partition_table_t *table, char *buf, size_t size)
{
    if (table == NULL || (buf == NULL && size > 0) || table->count > OTA_PARTITION_MAX_ENTRIES) {
        return OTA_ERR_INVALID_ARG;
    }
    writer_t w = {buf, size, 0};
    if (size > 0) {
        buf[0] = '\0';
    }
    put(&w, "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n");
    for (size_t i = 0; i < table->count; i++) {
        const ota_partition_info_t *p = &table->entries[i];
        const char *type = ota_partition_type_name(p->type);
        const char *subtype = ota_partition_subtype_name(p->type, p->subtype);
        char size_text[16], flags[32];
        ota_partition_format_size(p->size, size_text, sizeof size_text);
        ota_partition_format_flags(p->flags, flags, sizeof flags);
        put(&w, "%s,", p->label);
        if (type != NULL) {
            put(&w, "%s,", type);
        } else {
            put(&w, "%u,", p->type);
        }
        if (subtype != NULL) {
            put(&w, "%s,", subtype);
        } else {
            put(&w, "%u,", p->subtype);
        }
        put(&w, "0x%x,%s,%s\n", (unsigned)p->offset, size_text, flags);
    }
    if (w.used > (size_t)INT32_MAX) {
        return OTA_ERR_INVALID_SIZE;
    }
    return (int)w.used;
}
