/* Shared helpers of the `ota` CLI; see cli.h for the conventions. */
#include "cli.h"

#include <ctype.h>
#include <getopt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ota/ota_err.h"
#include "ota/port/ota_log_posix.h"
#include "ota/port/ota_port.h"

static void vmessage(const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "ota: %s: ", kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("error", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("warning", fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("error", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'ota %s --help'.\n", command);
    return CLI_EXIT_USAGE;
}

int cli_option_error(const char *command, int c, char **argv)
{
    /* argv[optind - 1] is the argument getopt was on only for a long option or the last letter of
     * a short group ("-vZ"); a short option is named by optopt, whatever the group ("-Zv"). */
    const char *arg = argv[optind - 1];
    bool is_long = strncmp(arg, "--", 2) == 0;
    if (!is_long && optopt > 0 && optopt < 128 && isgraph(optopt)) {
        return cli_usage_error(command, c == ':' ? "option '-%c' needs a value" : "unknown option '-%c'",
                               optopt);
    }
    if (c == ':') {
        return cli_usage_error(command, "option '%s' needs a value", arg);
    }
    const char *eq = strchr(arg, '=');
    if (is_long && eq != NULL && optopt != 0) {
        /* glibc sets optopt to the option's value for "--flag=x" on a no_argument option, and to
         * 0 for a name it does not know */
        return cli_usage_error(command, "option '%.*s' takes no value", (int)(eq - arg), arg);
    }
    return cli_usage_error(command, "unknown option '%s'", arg);
}

int cli_getopt(cli_args_t *a, int argc, char **argv, const char *shortopts, const struct option *longopts)
{
    if (!a->started) {
        a->started = true;
        optind = 1;
        opterr = 0;
    }
    for (;;) {
        int c = getopt_long(argc, argv, shortopts, longopts, NULL);
        switch (c) {
        case 'j': a->json = true; break;
        case 'h':
            a->usage(stdout);
            a->done = true;
            a->status = CLI_EXIT_OK;
            return -1;
        case ':':
        case '?':
            a->done = true;
            a->status = cli_option_error(a->command, c, argv);
            return -1;
        default: return c;
        }
    }
}

bool cli_operands(cli_args_t *a, int argc, int min, int max, const char *missing)
{
    if (a->done) {
        return false;
    }
    int n = argc - optind;
    if (n >= min && (max < 0 || n <= max)) {
        return true;
    }
    a->done = true;
    a->status = cli_usage_error(a->command, "%s", n < min ? missing : "too many arguments");
    return false;
}

bool cli_parse_plain(cli_args_t *a, int argc, char **argv, bool json, int min, int max, const char *missing)
{
    static const struct option with_json[] = {CLI_OPTION_JSON, CLI_OPTION_HELP, CLI_OPTIONS_END};
    static const struct option help_only[] = {CLI_OPTION_HELP, CLI_OPTIONS_END};
    while (cli_getopt(a, argc, argv, ":h", json ? with_json : help_only) != -1) {
        /* no options of its own: cli_getopt handles these */
    }
    return cli_operands(a, argc, min, max, missing);
}

int cli_parse_ms(const char *command, const char *option, const char *text, uint32_t *out)
{
    uint64_t v;
    if (!cli_parse_uint(text, UINT32_MAX, &v) || v == 0) {
        return cli_usage_error(command, "invalid %s '%s': milliseconds, at least 1", option, text);
    }
    *out = (uint32_t)v;
    return CLI_EXIT_OK;
}

int cli_parse_count(const char *command, const char *option, const char *text, int *out)
{
    uint64_t v;
    if (!cli_parse_uint(text, 1000, &v)) {
        return cli_usage_error(command, "invalid %s '%s': a count from 0 to 1000", option, text);
    }
    *out = v == 0 ? -1 : (int)v; /* the library's 0 means "default", negative means none */
    return CLI_EXIT_OK;
}

const char *cli_env_lookup(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

bool cli_parse_uint(const char *text, uint64_t max, uint64_t *out)
{
    if (text == NULL || *text == '\0' || *text == '-' || isspace((unsigned char)*text)) {
        return false;
    }
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno != 0 || *end != '\0' || v > max) {
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_size(const char *text, uint64_t *out)
{
    if (text == NULL || *text == '\0' || *text == '-' || isspace((unsigned char)*text)) {
        return false;
    }
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno != 0 || end == text) {
        return false;
    }
    uint64_t mult = 1;
    if (strcasecmp(end, "") == 0 || strcasecmp(end, "B") == 0) {
        mult = 1;
    } else if (strcasecmp(end, "K") == 0 || strcasecmp(end, "KB") == 0 || strcasecmp(end, "KiB") == 0) {
        mult = 1024;
    } else if (strcasecmp(end, "M") == 0 || strcasecmp(end, "MB") == 0 || strcasecmp(end, "MiB") == 0) {
        mult = 1024 * 1024;
    } else {
        return false;
    }
    if (v > UINT64_MAX / mult) {
        return false;
    }
    *out = v * mult;
    return true;
}

void cli_setup_log(FILE *stream, bool verbose, bool quiet)
{
    ota_log_set_level(quiet ? OTA_LOG_ERROR : verbose ? OTA_LOG_DEBUG : OTA_LOG_INFO);
    ota_log_to_stream(stream, stream != NULL && isatty(fileno(stream)));
}

int cli_read_file(const char *path, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cli_error("cannot open %s: %s", path, strerror(errno));
        return errno == ENOENT ? OTA_ERR_NOT_FOUND : OTA_ERR_IO;
    }
    size_t cap = 64 * 1024, used = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        size_t n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (n == 0) {
            break;
        }
        if (used == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    int failed = buf == NULL || ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        cli_error("cannot read %s", path);
        return buf == NULL ? OTA_ERR_NO_MEM : OTA_ERR_IO;
    }
    *data = buf;
    *len = used;
    return OTA_OK;
}

int cli_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        cli_error("cannot create %s: %s", path, strerror(errno));
        return OTA_ERR_IO;
    }
    size_t n = fwrite(data, 1, len, f);
    int closed = fclose(f);
    if (n != len || closed != 0) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        return OTA_ERR_IO;
    }
    return OTA_OK;
}

int cli_load_key(const char *path, ota_key_t **key)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    if (cli_read_file(path, &pem, &len) != OTA_OK) {
        return OTA_ERR_IO;
    }
    int err = ota_key_load_pem(pem, len, key);
    memset(pem, 0, len);
    free(pem);
    if (err != OTA_OK) {
        cli_error("%s: %s", path, ota_strerror(err));
    }
    return err;
}

int cli_key_digest(const ota_key_t *key, uint8_t out[32])
{
    ota_sig_block_t *b = calloc(1, sizeof *b);
    int err = b != NULL ? ota_key_to_block(key, b) : OTA_ERR_NO_MEM;
    if (err == OTA_OK) {
        err = ota_sig_block_key_digest(b, out);
    }
    free(b);
    return err;
}

void cli_hex(const uint8_t *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0xF];
    }
    out[2 * len] = '\0';
}

void cli_progress_init(cli_progress_t *p, const char *label, bool allowed)
{
    p->enabled = allowed && isatty(STDERR_FILENO);
    p->last_draw_ms = 0;
    p->label = label;
}

void cli_progress_update(cli_progress_t *p, uint64_t done, int64_t total)
{
    if (!p->enabled) {
        return;
    }
    uint64_t now = ota_port_uptime_ms();
    bool complete = total >= 0 && done >= (uint64_t)total;
    if (!complete && p->last_draw_ms != 0 && now - p->last_draw_ms < 100) {
        return;
    }
    p->last_draw_ms = now ? now : 1;
    if (total > 0) {
        enum {
            WIDTH = 30
        };
        int filled = (int)(done * WIDTH / (uint64_t)total);
        if (filled > WIDTH) {
            filled = WIDTH;
        }
        char bar[WIDTH + 1];
        memset(bar, '#', (size_t)filled);
        memset(bar + filled, '.', (size_t)(WIDTH - filled));
        bar[WIDTH] = '\0';
        fprintf(stderr, "\r%s [%s] %3d%% %llu/%lld KiB", p->label, bar, (int)(done * 100 / (uint64_t)total),
                (unsigned long long)(done / 1024), (long long)(total / 1024));
    } else {
        fprintf(stderr, "\r%s %llu KiB", p->label, (unsigned long long)(done / 1024));
    }
    fflush(stderr);
}

void cli_progress_finish(cli_progress_t *p)
{
    if (p->enabled && p->last_draw_ms != 0) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->last_draw_ms = 0;
}

static void group_help(const char *group, const cli_command_t *commands, size_t count, FILE *out)
{
    fprintf(out, "Usage: ota %s COMMAND [OPTIONS] [ARGS]\n\nCommands:\n", group);
    for (size_t i = 0; i < count; i++) {
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\nRun 'ota %s COMMAND --help' for the options of a command.\n", group);
}

int cli_dispatch(const char *group, const cli_command_t *commands, size_t count, int argc, char **argv)
{
    if (argc < 2) {
        group_help(group, commands, count, stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        group_help(group, commands, count, stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < count; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    return cli_usage_error(group, "unknown command '%s %s'", group, argv[1]);
}
