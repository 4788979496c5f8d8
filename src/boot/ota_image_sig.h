/**
 * @file ota_image_sig.h
 * @brief Secure Boot V2 checks of an app in a partition, with the device's trusted keys: what the
 *        ESP-IDF bootloader does for each candidate app (esp_secure_boot_verify_sbv2_signature)
 *        and what an update checks against.
 */
#ifndef OTA_IMAGE_SIG_H
#define OTA_IMAGE_SIG_H

#include <stdint.h>

#include "ota/ota_device.h"
#include "ota/ota_partition.h"
#include "ota/ota_sig_verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The keys an app update must be signed with: with Secure Boot V2 the burned key digests
 * (KEY_DIGESTn, as many slots as the chip has) and their revocation; with signed apps without
 * secure boot, the key of the running app's first valid block (magic, version, CRC, a scheme the
 * chip takes), against which the new image's block 0 is checked (block0_only). The chip's rule
 * (ota_chip_sbv2_t: schemes, blocks that count) goes into @p trust too.
 * @return OTA_OK; OTA_ERR_SIG_CHIP_NO_SBV2 (logged with the rule) when the chip has no Secure
 *         Boot V2 at its revision; OTA_ERR_SIG_NO_TRUSTED_KEY when there is no key (no digest
 *         burned; the running app does not verify, has no valid block, or nothing runs);
 *         OTA_ERR_INVALID_STATE if neither setting is on; OTA_ERR_NO_MEM; the flash read's errors.
 */
int ota_image_sig_trust(const ota_device_t *dev, ota_sig_trust_t *trust);

/**
 * Verify the signature sector after the app image of @p image_len bytes (with its appended
 * hash) in @p part: its digest over every byte before the sector, a trusted block. Allocates
 * ~13 KiB while it runs. @p rep may be NULL.
 * @return ota_sig_verifier_finish's codes (OTA_OK, OTA_ERR_SIG_*); OTA_ERR_SIG_NO_ROOM if the
 *         sector would lie past the partition; OTA_ERR_NO_MEM; the flash read's errors.
 */
int ota_image_sig_verify_partition(const ota_partition_t *part, uint32_t image_len,
                                   const ota_sig_trust_t *trust, ota_sig_report_t *rep);

/**
 * The Secure Boot V2 check the bootloader makes of each candidate app (ota_boot_verify_fn,
 * ota_bootloader.h): ota_image_sig_trust then ota_image_sig_verify_partition for the app of
 * @p image_len bytes in @p part, an entry of @p dev's table.
 * @return as ota_image_sig_trust, then as ota_image_sig_verify_partition.
 */
int ota_image_sig_verify_boot(const ota_device_t *dev, const ota_partition_info_t *part, uint32_t image_len);

#ifdef __cplusplus
}
#endif
#endif /* OTA_IMAGE_SIG_H */
