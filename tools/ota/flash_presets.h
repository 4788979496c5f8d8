/* Named partition tables for `ota flash create --preset`: the tables users know, each the CSV text
 * of its source, so the binary table is gen_esp32part.py's output of that very CSV. */
#ifndef OTA_CLI_FLASH_PRESETS_H
#define OTA_CLI_FLASH_PRESETS_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    const char *name;    /**< --preset NAME */
    const char *summary; /**< one line for --help: the layout */
    const char *source;  /**< where the CSV comes from (file, repository, commit) */
    const char *csv;     /**< the CSV text as in its source */
} flash_preset_t;

/** The preset `ota flash create` uses without --table or --preset. */
const flash_preset_t *flash_preset_default(void);
/** The preset named @p name, or NULL. */
const flash_preset_t *flash_preset_find(const char *name);
/** The list of presets for a --help text, one indented entry per preset. */
void flash_presets_usage(FILE *out);

#endif /* OTA_CLI_FLASH_PRESETS_H */
