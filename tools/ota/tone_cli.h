/**
 * @file tone_cli.h
 * @brief `ota tone info` (cmd_tone_info.c) and `ota tone make` (cmd_tone_make.c), dispatched by
 *        cmd_tone.c, and what they share.
 */
#ifndef OTA_CLI_TONE_CLI_H
#define OTA_CLI_TONE_CLI_H

int cmd_tone_info(int argc, char **argv);
int cmd_tone_make(int argc, char **argv);

/** "mp3", "wav" or "?" for a tone file type, as the JSON's "type" and the text's column. */
const char *tone_type_name(unsigned type);

#endif /* OTA_CLI_TONE_CLI_H */
