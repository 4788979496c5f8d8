/* `ota fetch`: download a file://, http:// or https:// URI the way the OTA service reads it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "out.h"
#include "commands.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_port.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"

#define FETCH_BUF_SIZE (64 * 1024)
/* Beside OUT while it is incomplete: the ETag and size it began with, so that --resume sends
 * If-Range and refuses a resource that changed in between instead of appending foreign bytes. */
#define RESUME_SUFFIX  ".ota-resume"

static void fetch_usage(FILE *out)
{
    fprintf(out, "Usage: ota fetch [OPTIONS] URI OUT\n"
                 "\n"
                 "Download URI (file://sdcard/PATH, file:///PATH, http://, https://) to OUT the way the\n"
                 "OTA service reads it, then print the size and SHA-256 of OUT. Use it to check a server,\n"
                 "its certificate and its Range support before pointing a device at it.\n"
                 "\n"
                 "Options:\n"
                 "      --resume            continue from OUT's current size (Range: bytes=N-); fails with\n"
                 "                          \"resource changed\" if the server's copy is not the one OUT\n"
                 "                          began with (ETag/size kept in OUT" RESUME_SUFFIX
                 ") or ignores ranges\n"
                 "      --cacert FILE       trust only the CA certificate(s) in FILE (PEM)\n"
                 "      --cert-pem FILE     trust only FILE's PEM text, passed in memory like ESP-ADF's\n"
                 "                          cert_pem (default for both: the system CA bundle)\n"
                 "      --insecure          do not verify the server certificate (logs a warning)\n"
                 "      --sdcard DIR        directory file://sdcard/ maps to (default ./sdcard)\n"
                 "      --connect-timeout MS  connect timeout (default 10000)\n"
                 "      --stall-timeout MS  a transfer with no byte for MS is stalled (default 20000)\n"
                 "      --retries N         automatic resumes of a broken transfer (default 3; 0 none)\n"
                 "      --retry-backoff MS  first back-off before a resume, doubled each time (default 500)\n"
                 "      --max-redirects N   redirects to follow (default 5; 0 none)\n"
                 "      --json              print the result as one JSON object on stdout\n"
                 "  -v, --verbose           debug log on stderr\n"
                 "  -q, --quiet             only errors on stderr\n"
                 "  -h, --help              show this help\n"
                 "\n"
                 "On failure the bytes received stay in OUT so that --resume can continue. Proxies: the\n"
                 "environment's http_proxy, https_proxy, all_proxy and no_proxy apply (libcurl's rules).\n"
                 "Exit status: 0 downloaded, 1 failed (unreachable, HTTP error, TLS, changed resource,\n"
                 "I/O), 2 usage error.\n");
}

typedef struct {
    const char *uri;
    const char *out;
    bool resume;
    bool json;
    bool verbose;
    bool quiet;
    const char *cert_pem_file;
    ota_source_posix_config_t cfg;
} fetch_args_t;

/* CLI_EXIT_OK when the fetch goes on; else the exit status (-1: --help, exit 0). */
static int parse_args(int argc, char **argv, fetch_args_t *a)
{
    enum {
        O_RESUME = 256,
        O_CACERT,
        O_CERT_PEM,
        O_INSECURE,
        O_SDCARD,
        O_CONNECT,
        O_STALL,
        O_RETRIES,
        O_BACKOFF,
        O_REDIRECTS
    };
    static const struct option longopts[] = {
        {"resume", no_argument, NULL, O_RESUME},
        {"cacert", required_argument, NULL, O_CACERT},
        {"cert-pem", required_argument, NULL, O_CERT_PEM},
        {"insecure", no_argument, NULL, O_INSECURE},
        {"sdcard", required_argument, NULL, O_SDCARD},
        {"connect-timeout", required_argument, NULL, O_CONNECT},
        {"stall-timeout", required_argument, NULL, O_STALL},
        {"retries", required_argument, NULL, O_RETRIES},
        {"retry-backoff", required_argument, NULL, O_BACKOFF},
        {"max-redirects", required_argument, NULL, O_REDIRECTS},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t args = {.command = "fetch", .usage = fetch_usage};
    int c, rc = CLI_EXIT_OK;
    while (rc == CLI_EXIT_OK && (c = cli_getopt(&args, argc, argv, ":vqh", longopts)) != -1) {
        switch (c) {
        case O_RESUME: a->resume = true; break;
        case O_CACERT: a->cfg.ca_file = optarg; break;
        case O_CERT_PEM: a->cert_pem_file = optarg; break;
        case O_INSECURE: a->cfg.insecure = true; break;
        case O_SDCARD: a->cfg.sdcard_root = optarg; break;
        case O_CONNECT:
            rc = cli_parse_ms("fetch", "--connect-timeout", optarg, &a->cfg.connect_timeout_ms);
            break;
        case O_STALL: rc = cli_parse_ms("fetch", "--stall-timeout", optarg, &a->cfg.stall_timeout_ms); break;
        case O_RETRIES: rc = cli_parse_count("fetch", "--retries", optarg, &a->cfg.max_retries); break;
        case O_BACKOFF:
            rc = cli_parse_ms("fetch", "--retry-backoff", optarg, &a->cfg.retry_backoff_ms);
            break;
        case O_REDIRECTS:
            rc = cli_parse_count("fetch", "--max-redirects", optarg, &a->cfg.max_redirects);
            break;
        case 'v': a->verbose = true; break;
        case 'q': a->quiet = true; break;
        }
    }
    if (rc != CLI_EXIT_OK) {
        return rc;
    }
    if (!cli_operands(&args, argc, 2, 2, "need URI and OUT")) {
        return args.status == CLI_EXIT_OK ? -1 : args.status;
    }
    a->json = args.json;
    a->uri = argv[optind];
    a->out = argv[optind + 1];
    if (ota_uri_scheme(a->uri) == OTA_URI_INVALID) {
        return cli_usage_error("fetch", "unsupported URI '%s': file://, http:// or https:// expected",
                               a->uri);
    }
    if (a->cfg.ca_file != NULL && a->cert_pem_file != NULL) {
        return cli_usage_error("fetch", "--cacert and --cert-pem are alternatives");
    }
    if (a->cfg.insecure && (a->cfg.ca_file != NULL || a->cert_pem_file != NULL)) {
        return cli_usage_error("fetch", "--insecure contradicts --cacert/--cert-pem");
    }
    return CLI_EXIT_OK;
}

/* OUT.ota-resume: "etag <ETag>\nsize <n>\n" (either line may be absent). */
static char *resume_path(const char *out)
{
    size_t len = strlen(out) + sizeof RESUME_SUFFIX;
    char *p = malloc(len);
    if (p != NULL) {
        snprintf(p, len, "%s%s", out, RESUME_SUFFIX);
    }
    return p;
}

static bool load_resume_state(const char *path, ota_source_expect_t *expect)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return false;
    }
    char line[256];
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "etag ", 5) == 0) {
            size_t n = strlen(line + 5);
            if (n < sizeof expect->etag) {
                memcpy(expect->etag, line + 5, n + 1);
            }
        } else if (strncmp(line, "size ", 5) == 0) {
            expect->total_size = strtoll(line + 5, NULL, 10);
        }
    }
    fclose(f);
    return true;
}

static void save_resume_state(const char *path, const ota_source_info_t *info)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        cli_warn("cannot write %s: %s (a later --resume cannot check the resource)", path, strerror(errno));
        return;
    }
    if (info->etag[0] != '\0') {
        fprintf(f, "etag %s\n", info->etag);
    }
    if (info->total_size >= 0) {
        fprintf(f, "size %lld\n", (long long)info->total_size);
    }
    fclose(f);
}

/* While the bar is drawn, a log line (a resume warning) first erases it, so the two never share a
 * line; the bar is redrawn by the next update. Same format and colours as the CLI's stream sink. */
static void log_over_progress(void *ctx, ota_log_level_t level, const char *tag, const char *message)
{
    cli_progress_t *bar = ctx;
    cli_progress_finish(bar);
    char line[640];
    if (ota_log_format_line(line, sizeof line, level, ota_port_uptime_ms(), tag, message) < 0) {
        return;
    }
    const char *color = level == OTA_LOG_ERROR  ? "\033[0;31m"
                        : level == OTA_LOG_WARN ? "\033[0;33m"
                        : level == OTA_LOG_INFO ? "\033[0;32m"
                                                : "";
    fprintf(stderr, "%s%s%s\n", color, line, *color ? "\033[0m" : "");
}

/* Hash the first @p len bytes of @p fd (what a resume keeps). */
static int hash_prefix(int fd, uint64_t len, ota_sha256_ctx_t *sha, uint8_t *buf)
{
    uint64_t done = 0;
    while (done < len) {
        size_t want = len - done < FETCH_BUF_SIZE ? (size_t)(len - done) : FETCH_BUF_SIZE;
        ssize_t n = pread(fd, buf, want, (off_t)done);
        if (n <= 0) {
            return -1;
        }
        ota_sha256_update(sha, buf, (size_t)n);
        done += (uint64_t)n;
    }
    return 0;
}

static bool write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static void fetch_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    printf("%s: %llu bytes\n", out_get_str(r, "output"), (unsigned long long)out_get_int(r, "bytes"));
    printf("sha256: %s\n", out_get_str(r, "sha256"));
    if (out_get_int(r, "resumed_from") > 0) {
        printf("resumed at offset %llu (HTTP %d)\n", (unsigned long long)out_get_int(r, "resumed_from"),
               (int)out_get_int(r, "http_status"));
    }
    if (out_get_int(r, "retries") > 0) {
        printf("automatic resumes: %u\n", (unsigned)out_get_int(r, "retries"));
    }
}

static int report_failure(const fetch_args_t *a, int err, const ota_source_info_t *info, uint64_t kept)
{
    const char *detail = info->error[0] ? info->error : ota_strerror(err);
    cli_error("%s: %s: %s", a->uri, ota_strerror(err), detail);
    if (kept > 0 && err != OTA_ERR_SRC_RESOURCE_CHANGED) {
        fprintf(stderr, "%llu bytes are in %s; 'ota fetch --resume' continues from there.\n",
                (unsigned long long)kept, a->out);
    }
    out_t *o = out_error(err, detail);
    out_str(o, "uri", a->uri);
    out_int(o, "http_status", info->http_status);
    out_int(o, "bytes", (int64_t)kept);
    out_int(o, "retries", info->retries);
    out_emit(o, a->json, NULL, NULL); /* the text: the error above */
    return CLI_EXIT_FAIL;
}

static int fetch(fetch_args_t *a)
{
    ota_source_info_t diag;
    memset(&diag, 0, sizeof diag);
    char *state_path = resume_path(a->out);
    uint8_t *buf = malloc(FETCH_BUF_SIZE);
    char *cert_pem = NULL;
    int fd = -1, rc = CLI_EXIT_FAIL;
    ota_source_t *src = NULL;
    if (state_path == NULL || buf == NULL) {
        cli_error("out of memory");
        goto done;
    }
    if (a->cert_pem_file != NULL) {
        uint8_t *pem;
        size_t pem_len;
        if (cli_read_file(a->cert_pem_file, &pem, &pem_len) != OTA_OK) {
            goto done;
        }
        cert_pem = realloc(pem, pem_len + 1);
        if (cert_pem == NULL) {
            free(pem);
            goto done;
        }
        cert_pem[pem_len] = '\0';
        a->cfg.cert_pem = cert_pem;
    }

    uint64_t offset = 0;
    ota_source_expect_t expect = {.total_size = -1};
    bool have_expect = false;
    if (a->resume) {
        struct stat st;
        if (stat(a->out, &st) == 0 && S_ISREG(st.st_mode)) {
            offset = (uint64_t)st.st_size;
        }
        if (offset > 0) {
            have_expect = load_resume_state(state_path, &expect);
            if (!have_expect) {
                cli_warn("no %s beside %s: resuming at %llu without checking that the resource is unchanged",
                         RESUME_SUFFIX, a->out, (unsigned long long)offset);
            }
        }
    }

    ota_source_config_t core = {.transport = &a->cfg};
    int err = ota_source_open(NULL, &core, a->uri, offset, have_expect ? &expect : NULL, &src, &diag);
    if (err != OTA_OK) {
        rc = report_failure(a, err, &diag, offset);
        goto done;
    }
    const ota_source_info_t *info = ota_source_get_info(src);
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (offset > 0 ? O_APPEND : O_TRUNC);
    fd = open(a->out, flags, 0644);
    if (fd < 0) {
        cli_error("cannot open %s: %s", a->out, strerror(errno));
        goto done;
    }
    ota_sha256_ctx_t sha;
    ota_sha256_init(&sha);
    if (offset > 0) {
        int rfd = open(a->out, O_RDONLY | O_CLOEXEC);
        int hrc = rfd < 0 ? -1 : hash_prefix(rfd, offset, &sha, buf);
        if (rfd >= 0) {
            close(rfd);
        }
        if (hrc != 0) {
            cli_error("cannot read the first %llu bytes of %s", (unsigned long long)offset, a->out);
            goto done;
        }
    }
    save_resume_state(state_path, info);

    cli_progress_t progress;
    cli_progress_init(&progress, "fetch", !a->json);
    if (progress.enabled) {
        ota_log_set_sink(log_over_progress, &progress);
    }
    uint64_t written = offset;
    for (;;) {
        int n = ota_source_read(src, buf, FETCH_BUF_SIZE);
        if (n < 0) {
            cli_progress_finish(&progress);
            rc = report_failure(a, n, info, written);
            goto done;
        }
        if (n == 0) {
            break;
        }
        if (!write_all(fd, buf, (size_t)n)) {
            cli_progress_finish(&progress);
            cli_error("cannot write %s: %s", a->out, strerror(errno));
            goto done;
        }
        ota_sha256_update(&sha, buf, (size_t)n);
        written += (uint64_t)n;
        cli_progress_update(&progress, info->offset, info->total_size);
    }
    cli_progress_finish(&progress);
    if (close(fd) != 0) {
        fd = -1;
        cli_error("cannot write %s: %s", a->out, strerror(errno));
        goto done;
    }
    fd = -1;
    unlink(state_path);

    uint8_t digest[OTA_SHA256_LEN];
    ota_sha256_final(&sha, digest);
    out_t *o = out_object();
    out_str(o, "uri", a->uri);
    out_str(o, "output", a->out);
    out_int(o, "bytes", (int64_t)written);
    out_hex(o, "sha256", digest, sizeof digest);
    out_int(o, "http_status", info->http_status);
    out_str(o, "etag", info->etag);
    out_str(o, "last_modified", info->last_modified);
    out_int(o, "total_size", (int64_t)info->total_size);
    out_int(o, "resumed_from", (int64_t)offset);
    out_int(o, "retries", info->retries);
    out_emit(o, a->json, fetch_text, NULL);
    rc = CLI_EXIT_OK;

done:
    cli_setup_log(stderr, a->verbose, a->quiet); /* the plain sink again, if the bar's was set */
    if (fd >= 0) {
        close(fd);
    }
    ota_source_close(src);
    free(cert_pem);
    free(buf);
    free(state_path);
    return rc;
}

int cmd_fetch(int argc, char **argv)
{
    fetch_args_t a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_EXIT_OK) {
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    cli_setup_log(stderr, a.verbose, a.quiet);
    return fetch(&a);
}
