/* No scheduler, no threads: the service runs in the caller with ota_service_run(). */
#include "ota/ota_err.h"
#include "ota/port/ota_port.h"

int ota_port_thread_start(ota_port_thread_t **out, const char *name, void (*fn)(void *arg), void *arg)
{
    (void)name;
    (void)fn;
    (void)arg;
    *out = NULL;
    return OTA_ERR_NOT_SUPPORTED;
}

void ota_port_thread_join(ota_port_thread_t *thread)
{
    (void)thread;
}
