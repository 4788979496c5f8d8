/* `ota run --manifest URI`; see run_manifest.h and docs/releases.md. */
#include "run_manifest.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_source.h"
#include "release_cli.h"

static const char *TAG = "RELEASE";

/* A plain path is read as file:///ABSOLUTE, the form its relative item URIs resolve against. */
static int manifest_uri(run_manifest_t *rm)
{
    if (ota_uri_scheme(rm->uri) != OTA_URI_INVALID) {
        int n = snprintf(rm->base_uri, sizeof rm->base_uri, "%s", rm->uri);
        return n > 0 && (size_t)n < sizeof rm->base_uri ? OTA_OK : OTA_ERR_SRC_URI;
    }
    if (strstr(rm->uri, "://") != NULL) {
        return OTA_ERR_SRC_URI; /* ftp://... : not a path either */
    }
    char path[PATH_MAX];
    if (realpath(rm->uri, path) == NULL) {
        return OTA_ERR_SRC_FILE_NOT_FOUND;
    }
    int n = snprintf(rm->base_uri, sizeof rm->base_uri, "file://%s", path);
    return n > 0 && (size_t)n < sizeof rm->base_uri ? OTA_OK : OTA_ERR_SRC_URI;
}

static int fetch_failed(const run_manifest_t *rm, int err, const char *detail)
{
    char msg[600];
    snprintf(msg, sizeof msg, "manifest %s: %s%s%s", rm->uri, ota_strerror(err), detail[0] ? ": " : "",
             detail);
    cli_error("release not installed, nothing written: %s: %s", ota_err_name(err), msg);
    out_failure(rm->json, err, msg);
    return err;
}

int run_manifest_fetch(run_manifest_t *rm, const ota_source_posix_config_t *src)
{
    int err = manifest_uri(rm);
    if (err != OTA_OK) {
        return fetch_failed(rm, err,
                            err == OTA_ERR_SRC_FILE_NOT_FOUND
                                ? "no such file"
                                : "not a path, file://, http:// or https:// URI");
    }
    ota_source_config_t core = {.transport = src};
    ota_source_info_t diag = {0};
    ota_source_t *s = NULL;
    err = ota_source_open(NULL, &core, rm->base_uri, 0, NULL, &s, &diag);
    if (err != OTA_OK) {
        return fetch_failed(rm, err, diag.error);
    }
    /* one byte more than the limit, to tell a file at the limit from a larger one */
    rm->data = malloc(RUN_MANIFEST_FILE_MAX + 1);
    long n = rm->data == NULL ? OTA_ERR_NO_MEM : ota_source_read_full(s, rm->data, RUN_MANIFEST_FILE_MAX + 1);
    char detail[sizeof diag.error + 1];
    snprintf(detail, sizeof detail, "%s", ota_source_get_info(s)->error);
    ota_source_close(s);
    if (n < 0) {
        return fetch_failed(rm, (int)n, detail);
    }
    if ((size_t)n > RUN_MANIFEST_FILE_MAX) {
        snprintf(detail, sizeof detail, "over %u bytes", RUN_MANIFEST_FILE_MAX);
        return fetch_failed(rm, OTA_ERR_MANIFEST_TOO_LARGE, detail);
    }
    rm->len = (size_t)n;
    return OTA_OK;
}

void run_manifest_on_open(run_manifest_t *rm, ota_device_file_t *file)
{
    rm->dev = ota_device_file_device(file);
    if (ota_release_floor(ota_device_file_device(file), &rm->floor) != OTA_OK) {
        rm->floor = 0;
    }
}

/* The JSON text of the fetched file (a signed file's without its signature sector and padding). */
static int parse_text(const run_manifest_t *rm, ota_manifest_t *m)
{
    size_t signed_len = release_signed_len(rm->data, rm->len);
    size_t json_len = ota_manifest_json_len(rm->data, signed_len != 0 ? signed_len : rm->len);
    return ota_manifest_parse((const char *)rm->data, json_len, m, NULL);
}

/* A device that does not require signed updates takes an unsigned manifest (ota_release.h); a
 * signed one on a device with key digests burned is verified with them here (what the signature
 * is for), so a manifest signed by another key is refused. */
static int verify_with_burned_keys(run_manifest_t *rm)
{
    const ota_device_t *dev = rm->dev;
    if (dev == NULL || ota_device_app_updates_signed(dev) || release_signed_len(rm->data, rm->len) == 0) {
        return OTA_OK;
    }
    ota_sig_trust_t trust = {0};
    for (unsigned i = 0; i < OTA_DEVICE_KEY_DIGESTS && trust.count < OTA_SIG_MAX_BLOCKS; i++) {
        if (dev->security.key_digest_set[i]) {
            memcpy(trust.digest[trust.count], dev->security.key_digest[i], OTA_SIG_KEY_DIGEST_LEN);
            trust.revoked[trust.count++] = dev->security.key_revoked[i];
        }
    }
    if (trust.count == 0) {
        return OTA_OK;
    }
    int err = ota_manifest_verify_signed(rm->data, rm->len, &trust, NULL, NULL);
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "manifest signature, checked with the burned key digests: %s", ota_strerror(err));
    }
    rm->verified = err == OTA_OK;
    return err;
}

int run_manifest_set_list(void *ctx, ota_service_t *service)
{
    run_manifest_t *rm = ctx;
    ota_release_config_t cfg = {
        .manifest = rm->data,
        .manifest_len = rm->len,
        .base_uri = rm->base_uri,
        .allow_unsigned = true, /* refused anyway when the device requires signed updates */
    };
    memset(&rm->diag, 0, sizeof rm->diag);
    rm->diag.item = -1;
    rm->diag.parse.item = -1;
    rm->set_called = true;
    rm->err = verify_with_burned_keys(rm);
    if (rm->err == OTA_OK) {
        rm->err = ota_service_set_release(service, &cfg, &rm->diag);
    }
    if (rm->err != OTA_OK) {
        return rm->err;
    }
    ota_manifest_t *m = malloc(sizeof *m);
    if (m != NULL && parse_text(rm, m) == OTA_OK) {
        size_t signed_len = release_signed_len(rm->data, rm->len);
        rm->items = m->count;
        OTA_LOGI(TAG, "release %u from %s: %u item%s%s", (unsigned)m->sequence, rm->base_uri, m->count,
                 m->count == 1 ? "" : "s",
                 rm->verified      ? ", signed by a burned key"
                 : signed_len != 0 ? ", signed"
                                   : "");
        if (rm->json) {
            out_t *o = out_object();
            out_str(o, "event", "release");
            out_str(o, "uri", rm->base_uri);
            out_int(o, "sequence", m->sequence);
            out_bool(o, "signed", signed_len != 0);
            /* its signature checked: by the library (the device requires signed updates) or here */
            out_bool(o, "verified",
                     signed_len != 0 &&
                         (rm->verified || (rm->dev != NULL && ota_device_app_updates_signed(rm->dev))));
            out_t *desc = release_manifest_json(m);
            out_put(o, "items", cJSON_DetachItemFromObjectCaseSensitive(desc, "items"));
            cJSON_Delete(desc);
            out_print_json(o);
        }
    }
    free(m);
    return rm->items > 0 ? (int)rm->items : 1;
}

int run_manifest_report_refusal(const run_manifest_t *rm)
{
    /* the item the refusal names, from the manifest's own text when it parses */
    ota_manifest_t *m = malloc(sizeof *m);
    bool parsed = m != NULL && parse_text(rm, m) == OTA_OK;
    int item = rm->diag.item >= 0 ? rm->diag.item : rm->diag.parse.item;
    const char *field = rm->diag.parse.field;
    char where[200] = "";
    size_t w = 0;
    if (item >= 0) {
        const ota_manifest_item_t *it = parsed && (unsigned)item < m->count ? &m->items[item] : NULL;
        w += (size_t)snprintf(where + w, sizeof where - w, "item %d%s%s%s%s", item, it ? " (" : "",
                              it ? ota_manifest_item_type_name(it->type) : "", it && it->label[0] ? " " : "",
                              it ? it->label : "");
        if (it != NULL && w < sizeof where) {
            w += (size_t)snprintf(where + w, sizeof where - w, ")");
        }
    }
    if (field != NULL && w < sizeof where) {
        w += (size_t)snprintf(where + w, sizeof where - w, "%sfield %s", w ? ", " : "", field);
    }
    if (rm->diag.parse.offset != 0 && w < sizeof where) {
        snprintf(where + w, sizeof where - w, "%sbyte %zu", w ? ", " : "", rm->diag.parse.offset);
    }
    char extra[120] = "";
    if (rm->err == OTA_ERR_RELEASE_OLDER && parsed) {
        snprintf(extra, sizeof extra, ": manifest sequence %u, the device accepted %u", (unsigned)m->sequence,
                 (unsigned)rm->floor);
    }
    cli_error("release refused, none of its items written: %s: %s%s%s%s%s", ota_err_name(rm->err),
              ota_strerror(rm->err), extra, where[0] ? " (" : "", where, where[0] ? ")" : "");
    if (rm->json) {
        out_t *o = out_object();
        out_str(o, "event", "release_refused");
        out_str(o, "error", ota_err_name(rm->err));
        out_int(o, "code", rm->err);
        out_str(o, "message", ota_strerror(rm->err));
        item >= 0 ? out_int(o, "item", item) : out_null(o, "item");
        out_str(o, "label", parsed && item >= 0 && (unsigned)item < m->count ? m->items[item].label : NULL);
        out_str(o, "field", field);
        parsed ? out_int(o, "sequence", m->sequence) : out_null(o, "sequence");
        out_int(o, "floor", rm->floor);
        out_print_json(o);
    }
    free(m);
    return CLI_EXIT_FAIL;
}

void run_manifest_free(run_manifest_t *rm)
{
    free(rm->data);
    rm->data = NULL;
}
