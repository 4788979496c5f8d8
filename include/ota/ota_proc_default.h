/**
 * @file ota_proc_default.h
 * @brief Default procedures for app and data items, and helpers for custom ones (ESP-ADF's
 *        ota_proc_default.h).
 *
 * Both are compositions of the data path's pieces (ota_path.h): source -> stages (none by
 * default) -> checker -> verifiers -> target. Stages and verifiers can be added to them without
 * copying them (ota_path_add_stage, ota_path_add_verifier on the handle their prepare made).
 *
 * App procedure (ota_app_get_default_proc): target = the OTA slot after the running one (never
 * the running one). need_upgrade refuses when there is no slot or it cannot be updated
 * (ota_ops_check_update_target) and, without stages, a stream
 * larger than the slot; then its checker reads the image header, first segment header and app
 * description (the first 288 output bytes, decoded through the stages if any) before anything is
 * erased, and refuses a wrong chip or chip revision, an app description without its magic, a
 * secure_version below the anti-rollback eFuse, and, with the service's version_check on, a
 * version that is not newer than the running one (same or older: SKIPPED; cannot compare:
 * refused). execute_upgrade invalidates the inactive otadata entry, then streams into the slot
 * through the partition writer (lazy erase; every programmed byte read back and compared with
 * the bytes written) while its verifier, the ESP-IDF image validator, checks header, segments,
 * checksum and the appended SHA-256 on the fly; after the last byte the stages' and verifiers'
 * finish() run. finished_check (on success) writes sector 0 (its first 32 bytes last) and reads
 * it back, then switches otadata to the slot; the image is not read again as a whole.
 *
 * Data procedure (ota_data_get_default_proc): target = the data partition named by node.label.
 * Unlike ESP-ADF it has a default need_upgrade: an interrupted earlier install is always
 * installed again; otherwise its checker looks at the first 264 output bytes: a tone image
 * (ESP-ADF tone_partition format 0/1) replacing a valid tone image of format 1 must have a newer
 * version (else SKIPPED); a partition holding a valid tone image accepts only tone images; other
 * data is written as is. execute_upgrade streams in 2 KiB chunks (ESP-ADF's READER_BUF_LEN)
 * through the same writer (every program read back and compared); its verifier keeps a SHA-256
 * of the stream (the digest the resume checkpoints record) and, after the last byte, runs the
 * strict tone validator over the staged image when it is a tone image. finished_check writes the
 * first sector, which holds the image header, last. A data partition is therefore never half
 * written and valid-looking.
 *
 * Both write through the service's partition writer, which keeps an install journal in the first
 * sector until the commit (see ota_install_journal.h), and resume an interrupted install from its
 * last checkpoint.
 */
#ifndef OTA_PROC_DEFAULT_H
#define OTA_PROC_DEFAULT_H

#include <stddef.h>

#include "ota/ota_partition.h"
#include "ota/ota_service.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Fill prepare/need_upgrade/execute_upgrade/finished_check with the app procedure. */
void ota_app_get_default_proc(ota_upgrade_ops_t *ops);
/** Fill the four steps with the data procedure (need_upgrade included, see above). */
void ota_data_get_default_proc(ota_upgrade_ops_t *ops);

/*
 * The steps one by one, to reuse in custom procedures.
 * @return OTA_OK, or per step:
 *
 * ota_app_default_prepare: OTA_ERR_NO_MEM; the source's open errors (OTA_ERR_SRC_*, e.g.
 *   OTA_ERR_SRC_FILE_NOT_FOUND, OTA_ERR_SRC_HTTP_STATUS) and the resume checkpoint's
 *   (OTA_ERR_SVC_CHECKPOINT); *handle is set (finished_check releases it) unless NO_MEM.
 * ota_app_default_need_upgrade: OTA_ERR_NOT_FOUND (no OTA slot to update), the target check's
 *   errors (ota_ops_check_update_target, e.g. OTA_ERR_PARTITION_CONFLICT), OTA_ERR_IMG_TOO_LARGE,
 *   the source's read errors (OTA_ERR_SRC_*), OTA_ERR_IMG_TRUNCATED (ends before the app
 *   description), the image header checks (OTA_ERR_IMG_*, OTA_ERR_IMG_APP_DESC,
 *   OTA_ERR_IMG_WRONG_CHIP, OTA_ERR_IMG_CHIP_REVISION), OTA_ERR_SECURE_VERSION, with a
 *   signature policy the trust check's codes (ota_image_sig_trust: OTA_ERR_SIG_NO_TRUSTED_KEY
 *   when the device has no trusted key, OTA_ERR_NO_MEM, flash read errors), and with version_check OTA_ERR_VERSION_NOT_NEWER (skip) or OTA_ERR_VERSION_UNPARSEABLE / OTA_ERR_VERSION_NOT_COMPARABLE (refused).
 * ota_app_default_execute: OTA_ERR_INVALID_STATE (need_upgrade did not run), otadata and flash
 *   errors (OTA_ERR_FLASH_*), OTA_ERR_SRC_* and OTA_ERR_CANCELLED while
 *   streaming, the image validator's OTA_ERR_IMG_*, OTA_ERR_SVC_VERIFY_FAILED (read-back differs),
 *   a user verifier's or stage's code; OTA_ITEM_STREAM_DEFERRED (1) only when
 *   ota_service_step drives it (the service then continues the loop itself).
 * ota_app_default_finished_check: @p result if it is not OTA_OK; else the commit's errors
 *   (flash, OTA_ERR_SVC_VERIFY_FAILED, otadata); OTA_ERR_INVALID_STATE if @p handle is NULL
 *   with result OTA_OK.
 */
int ota_app_default_prepare(ota_service_t *service, void **handle, ota_node_attr_t *node);
int ota_app_default_need_upgrade(void *handle, ota_node_attr_t *node);
int ota_app_default_execute(void *handle, ota_node_attr_t *node);
int ota_app_default_finished_check(void *handle, ota_node_attr_t *node, int result);

/*
 * The data procedure's steps.
 * @return OTA_OK, or per step:
 *
 * ota_data_default_prepare: OTA_ERR_INVALID_ARG (no label, or the otadata partition),
 *   OTA_ERR_NOT_FOUND (no data partition of that label), OTA_ERR_FLASH_READONLY, OTA_ERR_NO_MEM,
 *   the source's open errors (OTA_ERR_SRC_*, OTA_ERR_SVC_CHECKPOINT), OTA_ERR_IMG_TOO_LARGE,
 *   OTA_ERR_SIG_NO_ROOM (signed: the signature sector would not fit), OTA_ERR_ENC_NO_KEY (the
 *   stream starts with esp_encrypted_img's magic and no decryption key is configured; with one,
 *   the decrypt stage is put in front here, so a user's need_upgrade reads the plaintext too).
 * ota_data_default_need_upgrade: the first-sector read's flash errors, with a signature policy
 *   the trust check's codes (as for the app), OTA_ERR_TONE_* (a tone image that is not valid, or non-tone
 *   data for a tone partition: OTA_ERR_TONE_BAD_TAG), OTA_ERR_VERSION_NOT_NEWER (skip),
 *   OTA_ERR_IMG_TRUNCATED, the source's read errors, flash read errors.
 * ota_data_default_execute: OTA_ERR_IMG_TRUNCATED (empty image), OTA_ERR_SRC_*,
 *   OTA_ERR_CANCELLED, OTA_ERR_FLASH_*, OTA_ERR_SVC_VERIFY_FAILED, the tone validator's
 *   OTA_ERR_TONE_*; OTA_ITEM_STREAM_DEFERRED (1) as for the app.
 * ota_data_default_finished_check: as ota_app_default_finished_check (commit: flash errors).
 */
int ota_data_default_prepare(ota_service_t *service, void **handle, ota_node_attr_t *node);
int ota_data_default_need_upgrade(void *handle, ota_node_attr_t *node);
int ota_data_default_execute(void *handle, ota_node_attr_t *node);
int ota_data_default_finished_check(void *handle, ota_node_attr_t *node, int result);

/* --- helpers for a custom data need_upgrade (ESP-ADF names and meaning) -------------------- */

/**
 * Read exactly @p wanted bytes of the incoming data image. They are consumed: write them back
 * with ota_data_partition_write() if they belong in the partition (as ESP-ADF's example does
 * with the tone header).
 * @return OTA_OK; OTA_ERR_INVALID_STATE if @p handle is NULL; OTA_ERR_IMG_TRUNCATED if the
 *         stream is shorter; the source's read errors (OTA_ERR_SRC_*), OTA_ERR_CANCELLED, or,
 *         when the item has stages, a stage's error (the decrypt stage: OTA_ERR_ENC_*).
 */
int ota_data_image_stream_read(void *handle, void *buf, size_t wanted);

/** Append @p size bytes to the partition image at the current write offset.
 *  @return OTA_OK; OTA_ERR_INVALID_STATE if @p handle is NULL; OTA_ERR_IMG_TOO_LARGE past the
 *  partition's end; flash errors (OTA_ERR_FLASH_*, OTA_ERR_SVC_VERIFY_FAILED when the read-back
 *  differs). */
int ota_data_partition_write(void *handle, const void *buf, size_t size);

/**
 * ESP-ADF: "the partition is erased, don't erase again". Here the writer erases lazily and never
 * twice, so this only exists for source compatibility.
 * @return OTA_OK, always.
 */
int ota_data_partition_erase_mark(void *handle);

/** The target data partition (to read its current content); NULL if @p handle is NULL. */
const ota_partition_t *ota_data_partition(void *handle);

/**
 * State of a data partition's content.
 * @return OTA_ERR_DATA_INCOMPLETE if it holds an interrupted install (journal), else OTA_OK
 *         (which says nothing about the content's own validity); a flash read error
 *         (ota_partition_read: OTA_ERR_FLASH_OUT_OF_RANGE, or the device's read error).
 */
int ota_data_partition_state(const ota_partition_t *part);

/** ESP-ADF's ota_get_version_number().
 *  @return (A<<16)|(B<<8)|C for "vA.B.C"; -1 if unparseable (not an ota_err_t). */
int ota_get_version_number(const char *version);

#ifdef __cplusplus
}
#endif
#endif /* OTA_PROC_DEFAULT_H */
