/* `ota delta make|apply|info`: esp_delta_ota / detools sequential patches (docs/delta.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "out.h"
#include "commands.h"
#include "ota/sim/ota_delta_make.h"
#include "ota/port/ota_crypto.h"
#include "formats/ota_delta.h"
#include "ota/ota_err.h"

#define DELTA_FEED_SIZE 4096

/* --- delta make ------------------------------------------------------------------------------- */

static void make_usage(FILE *out)
{
    fprintf(out, "Usage: ota delta make [--esp-header|--bare] [--json] OLD NEW PATCH\n"
                 "\n"
                 "Write PATCH, a detools sequential patch (heatshrink window 8, lookahead 7) turning OLD\n"
                 "into NEW, as esp_delta_ota_patch_gen.py does: bsdiff matching over a suffix array.\n"
                 "OLD may be the running partition read back (the image followed by padding or a\n"
                 "signature sector): the device reads the base through that partition, so the patch may\n"
                 "copy those bytes too.\n"
                 "\n"
                 "Options:\n"
                 "      --esp-header  prepend esp_delta_ota's 64-byte header: magic 0xFCCDDE10 and the\n"
                 "                    base's validation hash (what esptool image_info prints as\n"
                 "                    \"Validation Hash\" and the device's esp_partition_get_sha256\n"
                 "                    returns; OLD must be an app image with a valid appended SHA-256)\n"
                 "                    (the default)\n"
                 "      --bare        a plain detools patch, without that header\n"
                 "      --json        print the result as one JSON object\n"
                 "  -h, --help        show this help\n"
                 "\n"
                 "Exit status: 0 written, 1 failed (unreadable input, I/O), 2 usage error.\n");
}

static void make_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    uint64_t patch_len = (uint64_t)out_get_int(r, "patch_size"),
             new_len = (uint64_t)out_get_int(r, "new_size");
    printf("%s: %llu bytes (%.2f %% of %llu), %llu chunks, %llu diff + %llu extra bytes\n",
           out_get_str(r, "patch"), (unsigned long long)patch_len,
           new_len ? 100.0 * (double)patch_len / (double)new_len : 0.0, (unsigned long long)new_len,
           (unsigned long long)out_get_int(r, "chunks"), (unsigned long long)out_get_int(r, "diff_bytes"),
           (unsigned long long)out_get_int(r, "extra_bytes"));
}

static int cmd_delta_make(int argc, char **argv)
{
    enum {
        O_ESP = 256,
        O_BARE
    };
    static const struct option opts[] = {
        {"esp-header", no_argument, NULL, O_ESP},
        {"bare", no_argument, NULL, O_BARE},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t a = {.command = "delta make", .usage = make_usage};
    bool esp = true, saw_esp = false, saw_bare = false;
    int c;
    while ((c = cli_getopt(&a, argc, argv, ":h", opts)) != -1) {
        switch (c) {
        case O_ESP:
            esp = true;
            saw_esp = true;
            break;
        case O_BARE:
            esp = false;
            saw_bare = true;
            break;
        }
    }
    if (!a.done && saw_esp && saw_bare) {
        return cli_usage_error("delta make", "--esp-header and --bare are alternatives");
    }
    if (!cli_operands(&a, argc, 3, 3, "need OLD, NEW and PATCH")) {
        return a.status;
    }
    const char *old_path = argv[optind], *new_path = argv[optind + 1], *patch_path = argv[optind + 2];
    uint8_t *old = NULL, *nw = NULL, *patch = NULL;
    size_t old_len = 0, new_len = 0, patch_len = 0;
    int rc = CLI_EXIT_FAIL;
    if (cli_read_file(old_path, &old, &old_len) != OTA_OK ||
        cli_read_file(new_path, &nw, &new_len) != OTA_OK) {
        goto done;
    }
    uint8_t base[OTA_DELTA_SHA256_LEN];
    if (esp && ota_delta_validation_hash(old, old_len, base, NULL) != OTA_OK) {
        cli_error("%s: not an app image with a valid appended SHA-256, so no validation hash to name as "
                  "the base (esp_delta_ota_patch_gen.py refuses it too; --bare makes a patch without it)",
                  old_path);
        goto done;
    }
    delta_make_options_t o = {.esp_header = esp, .base_sha256 = esp ? base : NULL};
    delta_make_stats_t st;
    int err = delta_make(old, old_len, nw, new_len, &o, &patch, &patch_len, &st);
    if (err != OTA_OK) {
        cli_error("cannot make the patch: %s", ota_strerror(err));
        goto done;
    }
    if (cli_write_file(patch_path, patch, patch_len) != OTA_OK) {
        goto done;
    }
    out_t *j = out_object();
    out_str(j, "patch", patch_path);
    out_int(j, "patch_size", (int64_t)patch_len);
    out_int(j, "old_size", (int64_t)old_len);
    out_int(j, "new_size", (int64_t)new_len);
    out_bool(j, "esp_header", esp);
    out_hex(j, "base_sha256", esp ? base : NULL, sizeof base);
    out_int(j, "chunks", (int64_t)st.chunks);
    out_int(j, "diff_bytes", (int64_t)st.diff_bytes);
    out_int(j, "extra_bytes", (int64_t)st.extra_bytes);
    out_int(j, "uncompressed_size", (int64_t)st.uncompressed_bytes);
    out_emit(j, a.json, make_text, NULL);
    rc = CLI_EXIT_OK;
done:
    free(old);
    free(nw);
    free(patch);
    return rc;
}

/* --- shared: run a patch through the applier ---------------------------------------------------- */

typedef struct {
    const uint8_t *old; /* NULL: `delta info`, old bytes read as zeros */
    size_t old_len;
    FILE *out;
    ota_sha256_ctx_t sha;
} apply_ctx_t;

static int read_old(void *ctx, uint64_t offset, uint8_t *buf, size_t len)
{
    apply_ctx_t *a = ctx;
    if (a->old == NULL) {
        memset(buf, 0, len);
        return OTA_OK;
    }
    if (offset > a->old_len || len > a->old_len - offset) {
        return OTA_ERR_DELTA_OLD_RANGE;
    }
    memcpy(buf, a->old + offset, len);
    return OTA_OK;
}

static int write_new(void *ctx, const uint8_t *buf, size_t len)
{
    apply_ctx_t *a = ctx;
    ota_sha256_update(&a->sha, buf, len);
    if (a->out != NULL && fwrite(buf, 1, len, a->out) != len) {
        return OTA_ERR_IO;
    }
    return OTA_OK;
}

/* Apply PATCH (a file, fed in DELTA_FEED_SIZE pieces). *d is allocated for the patch's window. */
static int run_patch(const char *patch_path, const ota_delta_config_t *cfg, apply_ctx_t *a, ota_delta_t **dp)
{
    *dp = NULL;
    FILE *f = fopen(patch_path, "rb");
    if (f == NULL) {
        cli_error("cannot open %s: %s", patch_path, strerror(errno));
        return OTA_ERR_IO;
    }
    uint8_t buf[DELTA_FEED_SIZE];
    size_t n = fread(buf, 1, sizeof buf, f);
    ota_delta_header_t h;
    int err = ota_delta_parse_header(buf, n, cfg->allow_bare, &h);
    unsigned wbits = err == OTA_OK && h.window_bits ? h.window_bits : OTA_HS_MIN_WINDOW_BITS;
    size_t size = OTA_DELTA_STATE_SIZE(wbits);
    ota_delta_t *d = malloc(size);
    if (d == NULL) {
        fclose(f);
        return OTA_ERR_NO_MEM;
    }
    *dp = d;
    ota_delta_init(d, size, cfg);
    ota_delta_io_t io = {.read_old = read_old, .write_new = write_new, .ctx = a};
    err = OTA_OK; /* the applier reports header errors itself, with its position */
    while (n > 0 && err == OTA_OK) {
        err = ota_delta_feed(d, &io, buf, n);
        n = fread(buf, 1, sizeof buf, f);
    }
    if (err == OTA_OK && ferror(f)) {
        cli_error("cannot read %s: %s", patch_path, strerror(errno));
        err = OTA_ERR_IO;
    } else if (err == OTA_OK) {
        err = ota_delta_finish(d);
    }
    fclose(f);
    return err;
}

/* A patch's failure: the error, the patch, and where in it and in the new image it stopped. */
static out_t *patch_error(int err, const char *patch_path, uint64_t patch_offset, uint64_t new_offset)
{
    out_t *o = out_error(err, NULL);
    out_str(o, "patch", patch_path);
    out_int(o, "patch_offset", (int64_t)patch_offset);
    out_int(o, "new_offset", (int64_t)new_offset);
    return o;
}

static void report_patch_error(const char *patch_path, const ota_delta_t *d, int err, bool json)
{
    cli_error("%s: %s (patch offset %llu, new image offset %llu)", patch_path, ota_strerror(err),
              (unsigned long long)ota_delta_patch_offset(d), (unsigned long long)ota_delta_new_offset(d));
    out_emit(patch_error(err, patch_path, ota_delta_patch_offset(d), ota_delta_new_offset(d)), json, NULL,
             NULL);
}

static void add_header(out_t *j, const ota_delta_header_t *h)
{
    out_bool(j, "esp_header", h->esp_header);
    out_hex(j, "base_sha256", h->esp_header ? h->base_sha256 : NULL, OTA_DELTA_SHA256_LEN);
    out_str(j, "patch_type", h->patch_type == 0 ? "sequential" : "other");
    out_str(j, "compression", h->compression == 4 ? "heatshrink" : "other");
    out_int(j, "new_size", (int64_t)h->new_size);
    out_int(j, "window_bits", h->window_bits);
    out_int(j, "lookahead_bits", h->lookahead_bits);
    out_int(j, "header_size", h->header_len);
}

/* --- delta apply ------------------------------------------------------------------------------ */

static void apply_usage(FILE *out)
{
    fprintf(out, "Usage: ota delta apply [--bare] [--no-base-check] [--json] OLD PATCH OUT\n"
                 "\n"
                 "Apply an esp_delta_ota patch (or, with --bare, a plain detools sequential patch) to\n"
                 "OLD and write the new image to OUT, streaming the patch in 4 KiB pieces through the\n"
                 "same applier the device uses. The header's base hash must equal OLD's validation hash\n"
                 "(the SHA-256 esptool appends to the image, \"Validation Hash\" in esptool image_info).\n"
                 "OLD may be a partition read back: the patch may read all of it, as esp_delta_ota reads\n"
                 "the running partition.\n"
                 "\n"
                 "Options:\n"
                 "      --bare           also accept a patch without the esp_delta_ota header\n"
                 "      --no-base-check  do not compare the header's base hash with OLD\n"
                 "      --json           print the result as one JSON object\n"
                 "  -h, --help           show this help\n"
                 "\n"
                 "Exit status: 0 applied, 1 refused or failed (the error names the cause; OUT is removed),\n"
                 "2 usage error.\n");
}

/* @p ctx: OLD's path. */
static void apply_text(const out_t *r, const void *ctx)
{
    printf("%s: %llu bytes\nsha256: %s\n", out_get_str(r, "output"),
           (unsigned long long)out_get_int(r, "size"), out_get_str(r, "sha256"));
    if (out_get_bool(r, "base_checked")) {
        /* checked: OLD's validation hash is the one the patch names */
        printf("base: validation hash %s (%s's, as the patch names)\n", out_get_str(r, "base_sha256"),
               (const char *)ctx);
    }
}

static int cmd_delta_apply(int argc, char **argv)
{
    enum {
        O_BARE = 256,
        O_NOBASE
    };
    static const struct option opts[] = {
        {"bare", no_argument, NULL, O_BARE},
        {"no-base-check", no_argument, NULL, O_NOBASE},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t args = {.command = "delta apply", .usage = apply_usage};
    bool bare = false, no_base = false;
    int c;
    while ((c = cli_getopt(&args, argc, argv, ":h", opts)) != -1) {
        switch (c) {
        case O_BARE: bare = true; break;
        case O_NOBASE: no_base = true; break;
        }
    }
    if (!cli_operands(&args, argc, 3, 3, "need OLD, PATCH and OUT")) {
        return args.status;
    }
    const char *old_path = argv[optind], *patch_path = argv[optind + 1], *out_path = argv[optind + 2];
    apply_ctx_t a = {0};
    uint8_t *old = NULL;
    if (cli_read_file(old_path, &old, &a.old_len) != OTA_OK) {
        return CLI_EXIT_FAIL;
    }
    a.old = old;
    ota_delta_config_t cfg = {.allow_bare = bare, .old_size = a.old_len};
    /* The base check applies to patches that name a base (the ESP header); a bare one names none,
     * and a patch whose header is wrong is reported by the applier. */
    bool names_base = false;
    FILE *pf = fopen(patch_path, "rb");
    if (pf != NULL) {
        uint8_t head[OTA_DELTA_HEADER_MAX];
        size_t hn = fread(head, 1, sizeof head, pf);
        ota_delta_header_t h;
        names_base = ota_delta_parse_header(head, hn, true, &h) == OTA_OK && h.esp_header;
        fclose(pf);
    }
    if (!no_base && names_base) {
        int herr = ota_delta_validation_hash(old, a.old_len, cfg.base_sha256, NULL);
        if (herr != OTA_OK) {
            cli_error(
                "%s: not an app image with a valid appended SHA-256: no validation hash to compare with "
                "the patch's base (--no-base-check applies it anyway)",
                old_path);
            out_t *o = patch_error(herr, patch_path, 0, 0);
            out_str(o, "old", old_path);
            out_emit(o, args.json, NULL, NULL);
            free(old);
            return CLI_EXIT_FAIL;
        }
        cfg.check_base = true;
    }
    a.out = fopen(out_path, "wb");
    if (a.out == NULL) {
        cli_error("cannot create %s: %s", out_path, strerror(errno));
        free(old);
        return CLI_EXIT_FAIL;
    }
    ota_sha256_init(&a.sha);
    ota_delta_t *d = NULL;
    int err = run_patch(patch_path, &cfg, &a, &d);
    bool printed = false;
    if (fclose(a.out) != 0 && err == OTA_OK) {
        cli_error("cannot write %s: %s", out_path, strerror(errno));
        err = OTA_ERR_IO;
        printed = true;
    }
    int rc = CLI_EXIT_OK;
    if (err != OTA_OK) {
        if (d != NULL && !printed && err == OTA_ERR_DELTA_BASE_MISMATCH && d->header.esp_header) {
            char want[2 * OTA_DELTA_SHA256_LEN + 1], have[2 * OTA_DELTA_SHA256_LEN + 1];
            cli_hex(d->header.base_sha256, OTA_DELTA_SHA256_LEN, want);
            cli_hex(cfg.base_sha256, OTA_DELTA_SHA256_LEN, have);
            cli_error("%s: patch base mismatch: the patch is for the app with validation hash %s, %s has %s "
                      "(new image offset 0)",
                      patch_path, want, old_path, have);
            out_t *o = patch_error(err, patch_path, ota_delta_patch_offset(d), ota_delta_new_offset(d));
            out_str(o, "base_sha256", want);
            out_str(o, "old_validation_hash", have);
            out_emit(o, args.json, NULL, NULL);
        } else if (d != NULL && !printed) {
            report_patch_error(patch_path, d, err, args.json);
        } else if (d == NULL && err != OTA_ERR_IO) { /* run_patch reported I/O errors itself */
            cli_error("%s: %s", patch_path, ota_strerror(err));
        }
        remove(out_path);
        rc = CLI_EXIT_FAIL;
    } else {
        uint8_t digest[OTA_SHA256_LEN];
        ota_sha256_final(&a.sha, digest);
        out_t *j = out_object();
        out_str(j, "output", out_path);
        out_int(j, "size", (int64_t)ota_delta_new_offset(d));
        out_hex(j, "sha256", digest, sizeof digest);
        add_header(j, &d->header);
        out_bool(j, "base_checked", cfg.check_base);
        out_int(j, "chunks", (int64_t)d->stats.chunks);
        out_int(j, "old_read_end", (int64_t)d->stats.old_end);
        out_emit(j, args.json, apply_text, old_path);
    }
    free(d);
    free(old);
    return rc;
}

/* --- delta info ------------------------------------------------------------------------------- */

static void info_usage(FILE *out)
{
    fprintf(out, "Usage: ota delta info [--json] PATCH\n"
                 "\n"
                 "Show a patch's headers (esp_delta_ota magic and the base's validation hash, detools\n"
                 "type, compression, new size, heatshrink window/lookahead) and, decoding it without the\n"
                 "old image, its chunk statistics, including how far into the old partition it reads.\n"
                 "Bare detools patches are accepted.\n"
                 "\n"
                 "Options:\n"
                 "      --json  print the facts as one JSON document\n"
                 "  -h, --help  show this help\n"
                 "\n"
                 "Exit status: 0 valid patch, 1 invalid or unreadable (the error names the cause), 2 usage\n"
                 "error.\n");
}

static void info_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    printf("Patch:            %s (%llu bytes)\n", out_get_str(r, "patch"),
           (unsigned long long)out_get_int(r, "patch_size"));
    if (out_get_bool(r, "esp_header")) {
        printf("ESP header:       magic 0x%08X, base validation hash %s\n", OTA_DELTA_ESP_MAGIC,
               out_get_str(r, "base_sha256"));
    } else {
        printf("ESP header:       none (bare detools patch)\n");
    }
    printf("Type:             sequential, heatshrink window %u lookahead %u\n",
           (unsigned)out_get_int(r, "window_bits"), (unsigned)out_get_int(r, "lookahead_bits"));
    printf("New size:         %llu bytes\n", (unsigned long long)out_get_int(r, "new_size"));
    printf("Chunks:           %llu\n", (unsigned long long)out_get_int(r, "chunks"));
    printf("Diff bytes:       %llu (%llu unchanged)\n", (unsigned long long)out_get_int(r, "diff_bytes"),
           (unsigned long long)out_get_int(r, "diff_zero_bytes"));
    printf("Extra bytes:      %llu\n", (unsigned long long)out_get_int(r, "extra_bytes"));
    printf("Old bytes read:   up to offset %llu\n", (unsigned long long)out_get_int(r, "old_read_end"));
    if (out_get_int(r, "chunks") > 0) {
        printf("Adjustments:      %lld .. %lld\n", (long long)out_get_int(r, "min_adjustment"),
               (long long)out_get_int(r, "max_adjustment"));
    }
}

static int cmd_delta_info(int argc, char **argv)
{
    cli_args_t args = {.command = "delta info", .usage = info_usage};
    if (!cli_parse_plain(&args, argc, argv, true, 1, 1, "missing PATCH")) {
        return args.status;
    }
    const char *path = argv[optind];
    apply_ctx_t a = {0};
    ota_sha256_init(&a.sha);
    ota_delta_config_t cfg = {.allow_bare = true};
    ota_delta_t *d = NULL;
    int err = run_patch(path, &cfg, &a, &d);
    if (d == NULL) {
        return CLI_EXIT_FAIL;
    }
    struct stat sb;
    size_t raw_len = stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
    const ota_delta_header_t *h = &d->header;
    const ota_delta_stats_t *st = &d->stats;
    if (err != OTA_OK) {
        report_patch_error(path, d, err, args.json);
        free(d);
        return CLI_EXIT_FAIL;
    }
    out_t *j = out_object();
    out_str(j, "patch", path);
    out_int(j, "patch_size", (int64_t)raw_len);
    add_header(j, h);
    out_int(j, "chunks", (int64_t)st->chunks);
    out_int(j, "diff_bytes", (int64_t)st->diff_bytes);
    out_int(j, "extra_bytes", (int64_t)st->extra_bytes);
    out_int(j, "diff_zero_bytes", (int64_t)st->zero_diff_bytes);
    out_int(j, "min_adjustment", st->chunks ? (int64_t)st->min_adjustment : 0);
    out_int(j, "max_adjustment", st->chunks ? (int64_t)st->max_adjustment : 0);
    out_int(j, "old_read_end", (int64_t)st->old_end);
    out_emit(j, args.json, info_text, NULL);
    free(d);
    return CLI_EXIT_OK;
}

static const cli_command_t k_delta_commands[] = {
    {"make", cmd_delta_make, "make a detools/esp_delta_ota patch from OLD to NEW"},
    {"apply", cmd_delta_apply, "apply a patch to OLD, writing the new image"},
    {"info", cmd_delta_info, "show a patch's header and chunk statistics"},
};

int cmd_delta(int argc, char **argv)
{
    return cli_dispatch("delta", k_delta_commands, sizeof k_delta_commands / sizeof k_delta_commands[0], argc,
                        argv);
}
