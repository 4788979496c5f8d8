/* The public ota_path.h API: thin checking wrappers over the pipeline's internal functions (as
 * littlefs's lfs_format over lfs_format_): the argument and state checks here, the work in
 * path.c. The stage ones (ota_path_insert_stage, ota_path_add_stage) are in stages.c: an
 * application that adds a verifier does not link the stage driver. */
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
