/* The data path as public pieces (ota_path.h): a custom verifier and a custom stage added to the
 * default app procedure's pipeline without copying it, run end to end on the RAM device; the
 * API's refusals. (The resume contract of a stage: test_stage_resume.c.) */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "formats/ota_install_journal.h"
#include "ota/ota_path.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_update_features.h"
#include "path_fixture.h"

/* A verifier appended to the default app procedure sees every image byte and runs its finish
 * before the commit; when it rejects, nothing is committed and the old app boots. */
static void test_custom_verifier_rejects_before_commit(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    size_t len;
    char *uri;
    uint8_t *plain = plain_app(&d, "app.bin", 300000, &uri, &len);
    uint8_t expect[32];
    ota_sha256(plain, len, expect);

    /* accepting: installed, and the verifier saw exactly the image */
    setup_pieces(false, OTA_STAGE_RESUME_NONE, true);
    ota_upgrade_ops_t list[] = {custom_item(uri)};
    ota_service_summary_t sum;
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_OK);
    assert_int_equal(g_spy.finishes, 1);
    assert_int_equal(g_spy.fed, len);
    assert_memory_equal(g_spy.digest, expect, 32);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    sf_device_free(&d);

    /* rejecting at finish: the item fails with the verifier's reason, ota_1 is not committed */
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *uri2 = sf_make_file(&d, "app.bin", plain, len);
    setup_pieces(false, OTA_STAGE_RESUME_NONE, true);
    g_spy.reject_at_finish = true;
    list[0] = custom_item(uri2);
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_IMG_SIGNATURE);
    assert_int_equal(sum.failed, 1);
    assert_int_equal(g_spy.finishes, 1);
    assert_int_equal(sf_events.reason[sf_events.n - 2], OTA_ERR_IMG_SIGNATURE); /* RESULT, then FINISH */
    assert_nothing_committed(&d);

    /* rejecting in feed: stops the stream at once */
    setup_pieces(false, OTA_STAGE_RESUME_NONE, true);
    g_spy.reject_after = 100000;
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_IMG_SIGNATURE);
    assert_int_equal(g_spy.finishes, 0);
    assert_true(g_spy.fed < 110000);
    assert_nothing_committed(&d);
    free(plain);
    free(uri);
    free(uri2);
    sf_device_free(&d);
}

/* A de-obfuscation stage inserted into the default app procedure: the checker sees the plain
 * image (its app description), the verifiers and the slot get the plain bytes, the stage's
 * finish can refuse the whole stream before the commit. */
static void test_custom_stage_end_to_end(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    size_t len;
    char *plain_uri;
    uint8_t *plain = plain_app(&d, "plain.bin", 250000, &plain_uri, &len);
    char *uri = make_xor_file(&d, "app.xor", plain, len, 0x5A);
    uint8_t expect[32];
    ota_sha256(plain, len, expect);

    /* without the stage the stream is no image: refused before anything is erased */
    ota_upgrade_ops_t list[] = {sf_app_item(uri, true)};
    ota_service_summary_t sum;
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_IMG_BAD_MAGIC);
    assert_false(ota_journal_is_present(sf_partition_bytes(&d, "ota_1", NULL), 4));

    /* with it: the version check (on the stage's output) passes, the image is installed */
    setup_pieces(true, OTA_STAGE_RESUME_STATE, true);
    list[0] = custom_item(uri);
    assert_int_equal(sf_run(&d, list, 1, true, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    assert_int_equal(g_spy.fed, len);
    assert_memory_equal(g_spy.digest, expect, 32);
    assert_memory_equal(sf_partition_bytes(&d, "ota_1", NULL), plain, len);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    size_t xlen;
    uint8_t *x = ts_read_file(uri + strlen("file://"), &xlen);
    sf_device_free(&d);

    /* one flipped byte of the obfuscated body: the stage's finish (CRC) refuses, nothing committed */
    sf_device_init(&d, SF_RUNNING_VERSION);
    x[XOR_HEADER + 100000] ^= 0x01;
    char *bad = sf_make_file(&d, "bad.xor", x, xlen);
    setup_pieces(true, OTA_STAGE_RESUME_STATE, true);
    list[0] = custom_item(bad);
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_IMG_CHECKSUM);
    assert_int_equal(g_spy.finishes, 0); /* the stage refused first */
    assert_nothing_committed(&d);
    free(x);
    free(bad);
    free(plain);
    free(plain_uri);
    free(uri);
    sf_device_free(&d);
}

/* The API refuses what it cannot honour. */
static void test_path_api_refusals(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *uri = sf_make_app(&d, "app.bin", "v2.3", 100000, 1);
    ota_service_config_t cfg = {.device = &d.dev, .features = &ota_update_features_all};
    ota_service_t *svc;
    assert_int_equal(ota_service_create(&cfg, &svc), OTA_OK);
    ota_node_attr_t node = {.type = 0, .uri = uri};
    void *h = NULL;
    assert_int_equal(ota_app_default_prepare(svc, &h, &node), OTA_OK);
    ota_stage_t bad = xor_stage(OTA_STAGE_RESUME_STATE);
    bad.restore = NULL;
    assert_int_equal(ota_path_add_stage(h, &bad), OTA_ERR_INVALID_ARG);
    ota_verifier_t v = {.name = "spy", .reset = spy_reset, .feed = spy_feed, .ctx = &g_spy};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ota_path_add_verifier(h, &v), OTA_OK); /* the procedure's own + 3 */
    }
    assert_int_equal(ota_path_add_verifier(h, &v), OTA_ERR_NO_MEM);
    ota_stage_t good = xor_stage(OTA_STAGE_RESUME_NONE);
    for (unsigned i = 0; i < OTA_STAGE_MAX; i++) {
        assert_int_equal(ota_path_insert_stage(h, 0, &good), OTA_OK);
    }
    assert_int_equal(ota_path_add_stage(h, &good), OTA_ERR_NO_MEM);
    assert_int_equal(ota_app_default_finished_check(h, &node, OTA_ERR_CANCELLED), OTA_ERR_CANCELLED);
    ota_service_destroy(svc);
    free(uri);
    sf_device_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_custom_verifier_rejects_before_commit),
        cmocka_unit_test(test_custom_stage_end_to_end),
        cmocka_unit_test(test_path_api_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
