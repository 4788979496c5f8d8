/* Shared by the partition-table format files (not public). */
#ifndef OTA_PARTITION_INTERNAL_H
#define OTA_PARTITION_INTERNAL_H

#include <stdint.h>

#include "ota/ota_partition.h"

/* Fill @p diag: "line N: " + message when @p line is known. Returns @p err for tail calls. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
int ota_pt_fail(ota_partition_diag_t *diag, int err, uint32_t line, const char *fmt, ...);

/* Empty @p diag (NULL-safe). */
void ota_pt_diag_clear(ota_partition_diag_t *diag);

#endif /* OTA_PARTITION_INTERNAL_H */
