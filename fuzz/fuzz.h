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
#define OTA_FUZZ_QUIET_INIT \
    int LLVMFuzzerInitialize(int *argc, char ***argv) \
    { \
        (void)argc; \
        (void)argv; \
        ota_log_set_level(OTA_LOG_NONE); \
        return 0; \
    }

/*
 * ASan settings of every harness (ASAN_OPTIONS still overrides them). Freed memory sits in a
 * quarantine so that a use after free is caught; 16 MB holds what the last ~100 inputs freed (each
 * harness frees all it allocated before returning, so a use after free within one input is always
 * caught), where the default 256 MB made nearly every allocation land on pages not touched for
 * a long time: on the 64 KiB-input harnesses half the CPU time went to page faults and the fill.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "quarantine_size_mb=16";
}

/* A property that must hold for every input: abort() makes libFuzzer save the input as a crash. */
#define OTA_FUZZ_CHECK(cond) \
    do { \
        if (!(cond)) { \
            abort(); \
        } \
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

/*
 * Piece sizes for feeding a stream: xorshift32 seeded from input bytes, sizes 1..2^max_log2 spread
 * over the powers of two (odd ones and single bytes included). The mean piece is a few hundred
 * bytes, so a 64 KiB input takes ~100 calls instead of the 65 536 a fixed size of 1 would.
 */
static inline uint32_t ota_fuzz_piece_seed(uint8_t byte)
{
    return 0x9E3779B9u ^ ((uint32_t)byte * 0x01000193u);
}

static inline size_t ota_fuzz_piece(uint32_t *seed, unsigned max_log2)
{
    uint32_t s = *seed;
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    *seed = s;
    size_t max = (size_t)1 << (s % (max_log2 + 1u));
    return 1u + (size_t)(s >> 5) % max;
}

#endif /* OTA_FUZZ_H */
