/* The POSIX port's heap (ota_port.h): libc malloc with a size header, counted atomically because
 * several services may run in threads of one process (the fleet benchmark). The header is 16
 * bytes to keep max_align_t alignment for the caller. The logic is the one both ports share
 * (../mem_counted.h). */
#include <stdint.h>

typedef uint64_t ota_mem_count_t;
#define OTA_MEM_HEADER_SIZE 16u
#define OTA_MEM_ATOMIC      1
#include "../mem_counted.h"

size_t ota_port_work_buffer_default(void)
{
    return 4096; /* RAM is plentiful: a flash sector per read */
}
