/* Private to src/sim: the text and number rules of gen_esp32part.py (ESP-IDF v6.0.2) that the
 * partition table CSV parser (partition_csv.c) is built on; partition_csv_text.c has them. */
#ifndef OTA_SIM_PARTITION_CSV_TEXT_H
#define OTA_SIM_PARTITION_CSV_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSG_MAX 224u /* an InputError text, before "Error at line N: " goes in front */

/* A value quoted in a message: at most QUOTE_MAX bytes of it, then "...", so that the rest of the
 * message (the keyword list) always fits. Use with "%.*s%s". */
#define QUOTE_MAX 48
#define QUOTE(s)  (int)((s).n > QUOTE_MAX ? QUOTE_MAX : (s).n), (s).p, ((s).n > QUOTE_MAX ? "..." : "")

typedef struct {
    const char *p;
    size_t n;
} span_t;

typedef enum {
    KW_NONE,
    KW_TYPES,
    KW_SUBTYPES
} kw_kind_t;

typedef struct {
    kw_kind_t kind;
    uint8_t type; /* for KW_SUBTYPES */
} keywords_t;

/* Python's str.strip() (ASCII whitespace) of a span. */
span_t ota_csv_strip(span_t s);
/* The span equals the NUL-terminated word. */
bool ota_csv_span_equals(span_t s, const char *word);
/* Length of the line terminator at text[i] as str.splitlines() sees it, 0 if none. */
size_t ota_csv_line_break_len(const char *text, size_t len, size_t i);
/* Strict UTF-8 check (Python's decode() would raise on anything else). */
bool ota_csv_valid_utf8(const unsigned char *s, size_t n);
/* Python's '0x%x' % v, which writes negative numbers as "0x-1000". */
const char *ota_csv_hex64(int64_t v, char buf[24]);
/* snprintf into a message buffer of MSG_MAX bytes. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void ota_csv_fmt_msg(char *msg, const char *fmt, ...);
/* gen_esp32part's parse_int(v, keywords): k/m suffixes, keywords, Python's int(s, 0); an
 * InputError text in @p msg (MSG_MAX bytes) on failure. */
int ota_csv_parse_int(span_t whole, keywords_t kw, int64_t *out, char *msg);

#endif
