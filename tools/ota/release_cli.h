/* `ota release`: make and the group's dispatch in cmd_release.c, sign and the helpers below in
 * release_sig.c, info and verify in release_check.c. */
#ifndef OTA_RELEASE_CLI_H
#define OTA_RELEASE_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "out.h"
#include "ota/ota_manifest.h"
#include "ota/ota_sig_verify.h"

int release_sign(int argc, char **argv);   /* ota release sign */
int release_info(int argc, char **argv);   /* ota release info */
int release_verify(int argc, char **argv); /* ota release verify */

/** The signed length of a manifest file in the signed layout (whole sectors, block 0 of the last
 *  one parses), or 0 for a plain JSON file. */
size_t release_signed_len(const uint8_t *data, size_t len);
/** ota_manifest_parse of @p len bytes of @p path, the error printed (item, field, byte). */
int release_parse_text(const char *path, const uint8_t *text, size_t len, ota_manifest_t *m);
/** A parsed manifest as a JSON object. */
out_t *release_manifest_json(const ota_manifest_t *m);
/** A parsed manifest as text on stdout. */
void release_manifest_text(const ota_manifest_t *m);

#endif /* OTA_RELEASE_CLI_H */
