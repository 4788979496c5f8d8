/**
 * @file ota_path.h
 * @brief An item's data path, piece by piece: source -> stages -> checker -> verifiers -> target.
 *
 * The default app and data procedures (ota_proc_default.h) are compositions of these pieces:
 *
 *  | piece     | app procedure                                  | data procedure                         |
 *  |-----------|------------------------------------------------|----------------------------------------|
 *  | source    | the node's URI (ota_source.h)                  | the same                               |
 *  | stages    | decrypt, when a decryption key is configured   | decrypt, when the stream starts with   |
 *  |           | (ota_stage_decrypt.h); delta for a patch       | esp_encrypted_img's magic (no key:     |
 *  |           |                                                | OTA_ERR_ENC_NO_KEY, nothing erased)    |
 *  | checker   | image header, chip, app description, secure    | tone image recognition and version     |
 *  |           | version, version (ota_app_default_need_upgrade)| (ota_data_default_need_upgrade)        |
 *  | verifiers | the ESP-IDF image validator (header, segments, | SHA-256 of the stream; at the end the  |
 *  |           | checksum, appended SHA-256)                    | strict tone validator for a tone image |
 *  | target    | the next OTA slot via the power-cut-safe       | the labelled data partition, same      |
 *  |           | partition writer; commit switches otadata      | writer; commit writes sector 0         |
 *
 * The handle a default procedure's prepare makes is the item's pipeline, an ota_path_t: a user
 * adds pieces to it without copying the procedure: call the default prepare from a prepare of
 * your own, then add stages and verifiers to the path it made, e.g.
 *
 *     static int my_prepare(ota_service_t *s, void **handle, ota_node_attr_t *node)
 *     {
 *         int err = ota_app_default_prepare(s, handle, node);
 *         ota_path_t *path = *handle;
 *         if (err == OTA_OK) err = ota_path_add_stage(path, &my_decrypt_stage);
 *         if (err == OTA_OK) err = ota_path_add_verifier(path, &my_signature_verifier);
 *         return err;
 *     }
 *
 * The engine drives the path (src/pipeline/): need_upgrade runs its checker, execute_upgrade its
 * loop (under ota_service_step one chunk per step), finished_check its target's commit.
 *
 * The order inside an item: the checker sees the first output bytes (after every stage) before
 * anything is erased; every output byte goes through every verifier, in the order added, then to
 * the target; after the last byte each stage's finish() runs (in order), then each verifier's
 * finish(), and only then does the target commit. Any failure before leaves the target an
 * interrupted install and otadata untouched.
 *
 * Cost: an item without stages runs exactly the loop it always did (one test per chunk); with
 * stages, the service's one work buffer is split into the stream's bytes and one output area per
 * stage (zero allocations per chunk).
 */
#ifndef OTA_PATH_H
#define OTA_PATH_H

#include <stddef.h>

#include "ota/ota_checker.h"
#include "ota/ota_stage.h"
#include "ota/ota_verifier.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One item's pipeline (opaque): what a default procedure's prepare stores in its handle. */
typedef struct ota_path ota_path_t;

/**
 * Append a verifier to @p path, a default procedure's handle (after its prepare, before
 * execute_upgrade).
 * @return OTA_OK; OTA_ERR_NO_MEM when the item has 4 verifiers already; OTA_ERR_INVALID_ARG for
 *         a NULL path or a verifier without name/reset/feed; OTA_ERR_INVALID_STATE once
 *         writing has begun.
 */
int ota_path_add_verifier(ota_path_t *path, const ota_verifier_t *verifier);

/**
 * Insert a stage at position @p index (0 = right after the source; index >= count appends: the
 * stage then produces the image). Only before need_upgrade (the checker decodes through the
 * stages).
 * @return OTA_OK; OTA_ERR_NO_MEM beyond OTA_STAGE_MAX stages; OTA_ERR_INVALID_ARG for a NULL
 *         path or a stage without name/reset/process or with save/restore or rebuild missing
 *         for its resume kind; OTA_ERR_INVALID_STATE once the stream has been read.
 */
int ota_path_insert_stage(ota_path_t *path, size_t index, const ota_stage_t *stage);

/** Append a stage (ota_path_insert_stage at the end).
 *  @return as ota_path_insert_stage. */
int ota_path_add_stage(ota_path_t *path, const ota_stage_t *stage);

/** Replace the item's checker (the default need_upgrade runs it); NULL removes it.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL path, a checker without check(), or a peek_len
 *          above OTA_CHECKER_PEEK_MAX). */
int ota_path_set_checker(ota_path_t *path, const ota_checker_t *checker);

#ifdef __cplusplus
}
#endif
#endif /* OTA_PATH_H */
