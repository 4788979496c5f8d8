/* ota_port.h threads on pthreads. */
#include "ota/port/ota_port.h"

#include <pthread.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/port/ota_mem.h"

struct ota_port_thread {
    pthread_t id;
    void (*fn)(void *arg);
    void *arg;
};

static void *trampoline(void *p)
{
    ota_port_thread_t *t = p;
    t->fn(t->arg);
    return NULL;
}

int ota_port_thread_start(ota_port_thread_t **out, const char *name, void (*fn)(void *arg), void *arg)
{
    ota_port_thread_t *t = ota_calloc(1, sizeof *t);
    if (t == NULL) {
        return OTA_ERR_NO_MEM;
    }
    t->fn = fn;
    t->arg = arg;
    if (pthread_create(&t->id, NULL, trampoline, t) != 0) {
        ota_free(t);
        return OTA_ERR_NO_MEM;
    }
    if (name != NULL) {
        char short_name[16]; /* Linux limit, NUL included */
        strncpy(short_name, name, sizeof short_name - 1);
        short_name[sizeof short_name - 1] = '\0';
        pthread_setname_np(t->id, short_name);
    }
    *out = t;
    return OTA_OK;
}

void ota_port_thread_join(ota_port_thread_t *thread)
{
    if (thread != NULL) {
        pthread_join(thread->id, NULL);
        ota_free(thread);
    }
}
