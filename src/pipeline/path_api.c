/* The public ota_path.h API: thin checking wrappers over the pipeline's internal functions (as
 * littlefs's lfs_format over lfs_format_): the argument and state checks here, the work in
 * path.c and stages.c. */
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_path.h"
#include "path.h"

int ota_path_add_verifier(ota_path_t *path, const ota_verifier_t *verifier)
{
    if (path == NULL || verifier == NULL || verifier->name == NULL || verifier->reset == NULL ||
        verifier->feed == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    return ota_item_add_verifier(path, verifier);
}

int ota_path_insert_stage(ota_path_t *path, size_t index, const ota_stage_t *stage)
{
    if (path == NULL || !ota_stage_valid(stage)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (path->peek_len != 0 || path->consumed != 0 || path->writer.begun) {
        return OTA_ERR_INVALID_STATE; /* stream bytes were taken as output already */
    }
    return ota_stages_insert(path, index, stage);
}

int ota_path_add_stage(ota_path_t *path, const ota_stage_t *stage)
{
    return ota_path_insert_stage(path, OTA_STAGE_MAX, stage);
}

int ota_path_set_checker(ota_path_t *path, const ota_checker_t *checker)
{
    if (path == NULL ||
        (checker != NULL && (checker->check == NULL || checker->peek_len > OTA_CHECKER_PEEK_MAX))) {
        return OTA_ERR_INVALID_ARG;
    }
    if (checker == NULL) {
        memset(&path->checker, 0, sizeof path->checker);
    } else {
        path->checker = *checker;
    }
    return OTA_OK;
}
