/* ota_port.h threads on FreeRTOS: ota_service_start() runs the service in a task of its own,
 * ota_service_wait() joins it. FreeRTOS has no join: the task gives a binary semaphore when the
 * function returns and deletes itself; the joiner takes the semaphore and frees the handle. The
 * task never touches the handle after the give, so the joiner may free it at once (the idle task
 * frees the task's stack and TCB). Stack size and priority come from the component's Kconfig. */
#include "esp_heap_caps.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "sdkconfig.h"

#include "ota/ota_err.h"
#include "ota/port/ota_port.h"

#ifndef CONFIG_OTA_SERVICE_TASK_STACK_SIZE
#define CONFIG_OTA_SERVICE_TASK_STACK_SIZE 6144
#endif
#ifndef CONFIG_OTA_SERVICE_TASK_PRIORITY
#define CONFIG_OTA_SERVICE_TASK_PRIORITY 5
#endif

struct ota_port_thread {
    void (*fn)(void *arg);
    void *arg;
    SemaphoreHandle_t done;
    StaticSemaphore_t done_storage; /* no second allocation for the semaphore */
};

static void task_main(void *param)
{
    struct ota_port_thread *t = param;
    t->fn(t->arg);
    xSemaphoreGive(t->done);
    vTaskDelete(NULL);
}

int ota_port_thread_start(ota_port_thread_t **out, const char *name, void (*fn)(void *arg), void *arg)
{
    *out = NULL;
    struct ota_port_thread *t = heap_caps_calloc(1, sizeof *t, MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT);
    if (t == NULL) {
        return OTA_ERR_NO_MEM;
    }
    t->fn = fn;
    t->arg = arg;
    t->done = xSemaphoreCreateBinaryStatic(&t->done_storage);
    TaskHandle_t task = NULL;
    if (xTaskCreate(task_main, name != NULL ? name : "ota_service", CONFIG_OTA_SERVICE_TASK_STACK_SIZE, t,
                    CONFIG_OTA_SERVICE_TASK_PRIORITY, &task) != pdPASS) {
        vSemaphoreDelete(t->done);
        heap_caps_free(t);
        return OTA_ERR_NO_MEM;
    }
    *out = t;
    return OTA_OK;
}

void ota_port_thread_join(ota_port_thread_t *thread)
{
    if (thread == NULL) {
        return;
    }
    xSemaphoreTake(thread->done, portMAX_DELAY);
    vSemaphoreDelete(thread->done);
    heap_caps_free(thread);
}
