/*
 * Shared by the libFuzzer harnesses (fuzz_*.c, one parser of outside bytes each; docs/fuzzing.md).
 * libFuzzer calls LLVMFuzzerTestOneInput once per input; a crash, a sanitizer report, a leak or an
 * input slower than -timeout is a finding. Harnesses never print: output would dominate the run.
 */
#ifndef OTA_FUZZ_H
#define OTA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The library's log lines would cost more than the parsing; silence them once. */
#define OTA_FUZZ_QUIET_INIT                                                                             \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                                                  \
    {                                                                                                  \
        (void)argc;                                                                                    \
        (void)argv;                                                                                    \
        ota_log_set_level(OTA_LOG_NONE);                                                               \
        return 0;                                                                                      \
    }

/* A property that must hold for every input: abort() makes libFuzzer save the input as a crash. */
#define OTA_FUZZ_CHECK(cond)                                                                            \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

/*
 * A NUL-terminated heap copy of the input, so ASan sees a read past the end of the text the
 * parser was given (string parsers take C strings or (text, len); both get an exact-size buffer).
 */
static inline char *ota_fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s != NULL) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif /* OTA_FUZZ_H */
