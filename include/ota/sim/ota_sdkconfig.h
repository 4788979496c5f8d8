/**
 * @file ota_sdkconfig.h
 * @brief A parser for sdkconfig files (the Kconfig output ESP-IDF projects carry).
 *
 * `ota run --config FILE` reads the ESP-ADF OTA example's keys from one: CONFIG_FIRMWARE_UPGRADE_URI,
 * CONFIG_DATA_UPGRADE_URI, CONFIG_DATA_PARTITION_LABEL, CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER
 * (CONFIG_WIFI_SSID / CONFIG_WIFI_PASSWORD are valid lines the host ignores). Pure: the caller
 * gives the text and, for the callback form, a scratch buffer.
 *
 * Syntax, line by line (LF or CRLF; a UTF-8 BOM at the start is skipped; spaces and tabs around
 * a line are ignored):
 *   - blank line, or a comment starting with '#';
 *   - `# CONFIG_NAME is not set`: the option is n (kind OTA_SDKCONFIG_NOT_SET, value "n");
 *   - `CONFIG_NAME=value`: NAME is [A-Za-z0-9_]+, directly followed by '='. A value starting
 *     with '"' is a Kconfig string: up to the next unescaped '"', where a backslash makes the
 *     next character literal (`\"` -> `"`, `\\` -> `\`), and only blanks may follow. Any other
 *     value is taken as written (y, m, 4096, 0x1000, a bare word), trailing blanks cut; it may be
 *     empty.
 * Anything else is a syntax error (OTA_ERR_PARSE) reported with its line and column: a line
 * that is neither, a bad name, a blank before '=', an unterminated string, text after the closing
 * quote, a NUL byte, a carriage return not followed by a line feed.
 * An option given twice keeps its last value (as Kconfig does); the callback sees both.
 */
#ifndef OTA_SDKCONFIG_H
#define OTA_SDKCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** How an option's value was written. */
typedef enum {
    OTA_SDKCONFIG_VALUE,   /**< CONFIG_X=value (unquoted: y, m, numbers, words) */
    OTA_SDKCONFIG_STRING,  /**< CONFIG_X="..." (value unescaped, without the quotes) */
    OTA_SDKCONFIG_NOT_SET, /**< # CONFIG_X is not set (value "n") */
} ota_sdkconfig_kind_t;

/** One option, as handed to the callback; strings live in the caller's scratch buffer. */
typedef struct {
    const char *key;   /**< "CONFIG_X", NUL-terminated */
    const char *value; /**< NUL-terminated; never contains NUL */
    size_t value_len;
    ota_sdkconfig_kind_t kind;
    unsigned line; /**< 1-based */
} ota_sdkconfig_entry_t;

/** Where parsing stopped. */
typedef struct {
    unsigned line;       /**< 1-based line of the error (0: none) */
    unsigned column;     /**< 1-based column (byte) of the error */
    const char *message; /**< static text, e.g. "unterminated string" */
} ota_sdkconfig_diag_t;

/** Receives each option in file order; a return other than OTA_OK stops the parse and is returned. */
typedef int (*ota_sdkconfig_cb_t)(void *ctx, const ota_sdkconfig_entry_t *entry);

/**
 * Parse @p len bytes of @p text and call @p cb (may be NULL: only check the syntax) for every
 * option. @p scratch holds one option's key and value at a time (the longest line + 2 bytes is
 * always enough; OTA_ERR_BUFFER_TOO_SMALL with the line otherwise).
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL text with len > 0); OTA_ERR_PARSE (details in
 *         @p diag); OTA_ERR_BUFFER_TOO_SMALL; or the callback's value.
 */
int ota_sdkconfig_parse(const char *text, size_t len, char *scratch, size_t scratch_size,
                        ota_sdkconfig_cb_t cb, void *ctx, ota_sdkconfig_diag_t *diag);

/**
 * Look up @p key ("CONFIG_X"): the whole text must parse; the last occurrence wins. Copies the
 * value, NUL-terminated, into @p value (OTA_ERR_BUFFER_TOO_SMALL if it does not fit) and its
 * kind into @p kind (may be NULL).
 * @return OTA_OK; OTA_ERR_NOT_FOUND if the key is absent; OTA_ERR_BUFFER_TOO_SMALL;
 *         OTA_ERR_INVALID_ARG (NULL key, NULL text with len > 0); OTA_ERR_PARSE (the text
 *         does not parse).
 */
int ota_sdkconfig_get(const char *text, size_t len, const char *key, char *value, size_t value_size,
                      ota_sdkconfig_kind_t *kind, ota_sdkconfig_diag_t *diag);

/**
 * Look up a bool option: `=y` -> true; `=n` or `# ... is not set` -> false; any other value gives
 * OTA_ERR_PARSE with the line of the option.
 * @return OTA_OK; OTA_ERR_NOT_FOUND if absent (the caller's default); OTA_ERR_PARSE (also when
 *         the text does not parse); OTA_ERR_INVALID_ARG (NULL key or out, NULL text with len > 0).
 */
int ota_sdkconfig_get_bool(const char *text, size_t len, const char *key, bool *out,
                           ota_sdkconfig_diag_t *diag);

#ifdef __cplusplus
}
#endif
#endif /* OTA_SDKCONFIG_H */
