/* ota_port.h heap without an OS: picolibc's malloc over the linker script's heap, with a size
 * header for the counters. One thread, so plain words count (no atomics: rv32imc has none). The
 * logic is the one both ports share (../mem_counted.h). */
#include <stdint.h>

typedef uint32_t ota_mem_count_t;
#define OTA_MEM_HEADER_SIZE 8u /* keeps the 8-byte alignment malloc gives */
#define OTA_MEM_ATOMIC      0
#include "../mem_counted.h"

size_t ota_port_work_buffer_default(void)
{
    return 2048; /* ESP-ADF's read size: an update then fits in 16 KiB of RAM (BENCHMARKS.md) */
}
