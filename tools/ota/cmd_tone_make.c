/* `ota tone make`: pack .mp3/.wav files into an ESP-ADF tone image as mk_audio_tone.py does. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "out.h"
#include "ota/ota_err.h"
#include "ota/ota_tone.h"
#include "ota/sim/ota_tone_build.h"
#include "tone_cli.h"

static void make_usage(FILE *out)
{
    fprintf(out, "Usage: ota tone make [OPTIONS] FILES... OUT.bin\n"
                 "\n"
                 "Pack .mp3 and .wav files into a tone image, byte for byte as ESP-ADF's\n"
                 "tools/audio_tone/mk_audio_tone.py does (mp3 = type 0, wav = type 1, each file padded\n"
                 "with 0xFF to 4 bytes; format 1 adds the 0xF55F9876 description, CRC-32 and tail 0xDFAC).\n"
                 "\n"
                 "Order: like mk_audio_tone.py, which sorts a directory listing, the files are sorted by\n"
                 "file name (byte order, as Python's sort()), whatever the order of the arguments; a\n"
                 "DIRECTORY argument adds its files whose names end in .mp3 or .wav. The position in\n"
                 "this order is the song index. --keep-order uses the order of the arguments instead.\n"
                 "\n"
                 "Options:\n"
                 "  -F, --format 0|1        image format (default 1, as mk_audio_tone.py)\n"
                 "  -v, --version V         format 1: version string, at most 32 bytes (default v1.0)\n"
                 "      --time HH:MM:SS     format 1: build time (default: now, local time)\n"
                 "      --date YYYY-MM-DD   format 1: build date (default: today, local time)\n"
                 "      --keep-order        index files in argument order instead of sorting by name\n"
                 "      --json              print the result as one JSON object\n"
                 "  -h, --help              show this help\n"
                 "\n"
                 "With SOURCE_DATE_EPOCH set, time and date default to that moment (UTC), for\n"
                 "reproducible builds. Exit status: 0 written, 1 failed (I/O, too many files), 2 usage\n"
                 "error.\n");
}

typedef struct {
    char *path;       /* as given, or DIR/name */
    const char *name; /* the file name part of path: the sort key */
    size_t position;  /* order of discovery, to keep sorting stable */
    ota_tone_file_type_t type;
    uint8_t *data;
    size_t len;
} input_t;

typedef struct {
    input_t *items;
    size_t count, cap;
} input_list_t;

static void inputs_free(input_list_t *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].path);
        free(l->items[i].data);
    }
    free(l->items);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

static bool add_input(input_list_t *l, const char *path, ota_tone_file_type_t type)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        input_t *bigger = realloc(l->items, cap * sizeof *bigger);
        if (bigger == NULL) {
            return false;
        }
        l->items = bigger;
        l->cap = cap;
    }
    input_t *in = &l->items[l->count];
    memset(in, 0, sizeof *in);
    in->path = strdup(path);
    if (in->path == NULL) {
        return false;
    }
    in->name = base_name(in->path);
    in->position = l->count;
    in->type = type;
    l->count++;
    return true;
}

static bool has_suffix(const char *s, const char *suffix, bool ignore_case)
{
    size_t n = strlen(s), k = strlen(suffix);
    if (n <= k) {
        return false;
    }
    return ignore_case ? strcasecmp(s + n - k, suffix) == 0 : strcmp(s + n - k, suffix) == 0;
}

static int compare_by_name(const void *a, const void *b)
{
    const input_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0) {
        return c;
    }
    return x->position < y->position ? -1 : x->position > y->position;
}

/* A directory contributes its *.mp3 / *.wav regular files (case-sensitive, as the tool's filter), sorted. */
static int add_directory(input_list_t *l, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        cli_error("cannot open directory %s: %s", dir, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    size_t first = l->count;
    struct dirent *de;
    int status = CLI_EXIT_OK;
    while (status == CLI_EXIT_OK && (de = readdir(d)) != NULL) {
        bool mp3 = has_suffix(de->d_name, ".mp3", false), wav = has_suffix(de->d_name, ".wav", false);
        if (!mp3 && !wav) {
            continue;
        }
        size_t n = strlen(dir) + strlen(de->d_name) + 2;
        char *path = malloc(n);
        if (path == NULL) {
            status = CLI_EXIT_FAIL;
            break;
        }
        snprintf(path, n, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
            !add_input(l, path, mp3 ? OTA_TONE_FILE_MP3 : OTA_TONE_FILE_WAV)) {
            status = CLI_EXIT_FAIL;
        }
        free(path);
    }
    closedir(d);
    if (status != CLI_EXIT_OK) {
        cli_error("out of memory");
        return status;
    }
    if (l->count > first) {
        qsort(l->items + first, l->count - first, sizeof *l->items, compare_by_name);
    }
    return CLI_EXIT_OK;
}

static bool parse_fixed_digits(const char *s, int n, int max, int min)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v >= min && v <= max;
}

static bool valid_time(const char *s)
{
    return strlen(s) == 8 && s[2] == ':' && s[5] == ':' && parse_fixed_digits(s, 2, 23, 0) &&
           parse_fixed_digits(s + 3, 2, 59, 0) && parse_fixed_digits(s + 6, 2, 60, 0);
}

static bool valid_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !parse_fixed_digits(s, 4, 9999, 0) ||
        !parse_fixed_digits(s + 5, 2, 12, 1) || !parse_fixed_digits(s + 8, 2, 31, 1)) {
        return false;
    }
    static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year = atoi(s), month = atoi(s + 5), day = atoi(s + 8);
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day <= days[month - 1] && !(month == 2 && day == 29 && !leap);
}

/* Build time like mk_audio_tone.py (time.localtime()), or SOURCE_DATE_EPOCH in UTC. */
static bool default_time(char *time_buf, size_t time_size, char *date_buf, size_t date_size)
{
    time_t now = time(NULL);
    struct tm tm;
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    uint64_t v;
    if (epoch != NULL && *epoch != '\0') {
        if (!cli_parse_uint(epoch, INT64_MAX, &v)) {
            return false;
        }
        now = (time_t)v;
        if (gmtime_r(&now, &tm) == NULL) {
            return false;
        }
    } else if (localtime_r(&now, &tm) == NULL) {
        return false;
    }
    strftime(time_buf, time_size, "%H:%M:%S", &tm);
    strftime(date_buf, date_size, "%Y-%m-%d", &tm);
    return true;
}

static int write_all(const char *path, const uint8_t *image, size_t size)
{
    return cli_write_file(path, image, size) == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static out_t *make_result(const char *out_path, const ota_tone_build_config_t *cfg, const input_list_t *l,
                          const uint8_t *image, uint32_t size)
{
    const bool fmt1 = cfg->format != OTA_TONE_BUILD_FORMAT_0;
    ota_tone_header_t header = {OTA_TONE_HEADER_TAG, (uint16_t)l->count, fmt1 ? 1u : 0u};
    ota_tone_memory_t mem = {image, size};
    out_t *o = out_object();
    out_str(o, "output", out_path);
    out_int(o, "format", header.format);
    out_int(o, "total_num", (int64_t)l->count);
    out_int(o, "size", size);
    if (fmt1) {
        out_str(o, "version", cfg->version);
        out_str(o, "time", cfg->time);
        out_str(o, "date", cfg->date);
    }
    out_t *files = out_arr(o, "files");
    for (size_t i = 0; i < l->count; i++) {
        ota_tone_entry_t e;
        (void)ota_tone_read_entry(ota_tone_memory_read, &mem, &header, (uint32_t)i, &e);
        out_t *f = out_obj(files, NULL);
        out_int(f, "index", (int64_t)i);
        out_str(f, "source", l->items[i].path);
        out_str(f, "type", tone_type_name(e.file_type));
        out_int(f, "address", e.song_adr);
        out_int(f, "length", e.song_len);
    }
    return o;
}

static void make_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    const out_t *files = out_get(r, "files");
    printf("%s: format %u, %zu files, %u bytes\n", out_get_str(r, "output"),
           (unsigned)out_get_int(r, "format"), out_count(files), (unsigned)out_get_int(r, "size"));
    if (out_has(r, "version")) {
        printf("version %s, date %s, time %s\n", out_get_str(r, "version"), out_get_str(r, "date"),
               out_get_str(r, "time"));
    }
    printf("%5s  %-4s  %-10s  %7s  %s\n", "index", "type", "address", "length", "source");
    for (size_t i = 0; i < out_count(files); i++) {
        const out_t *f = out_at(files, i);
        printf("%5zu  %-4s  0x%08x  %7u  %s\n", i, out_get_str(f, "type"),
               (unsigned)out_get_int(f, "address"), (unsigned)out_get_int(f, "length"),
               out_get_str(f, "source"));
    }
}

static int make_image(const char *out_path, ota_tone_build_config_t *cfg, input_list_t *l, bool json)
{
    for (size_t i = 0; i < l->count; i++) {
        if (cli_read_file(l->items[i].path, &l->items[i].data, &l->items[i].len) != OTA_OK) {
            return CLI_EXIT_FAIL;
        }
        if (l->items[i].len > UINT32_MAX) {
            cli_error("%s: larger than 4 GiB", l->items[i].path);
            return CLI_EXIT_FAIL;
        }
    }
    ota_tone_file_t *files = calloc(l->count, sizeof *files);
    if (files == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    for (size_t i = 0; i < l->count; i++) {
        files[i] = (ota_tone_file_t){l->items[i].data, (uint32_t)l->items[i].len, l->items[i].type};
    }
    uint32_t size = 0;
    uint8_t *image = NULL;
    int err = ota_tone_build_size(cfg, files, l->count, &size);
    if (err == OTA_OK) {
        image = malloc(size);
        err = image != NULL ? ota_tone_build_to_buffer(cfg, files, l->count, image, size, NULL)
                            : OTA_ERR_NO_MEM;
    }
    ota_tone_diag_t diag;
    if (err == OTA_OK) {
        /* Our own output must pass our own strict check before it is written. */
        ota_tone_memory_t mem = {image, size};
        err = ota_tone_validate(ota_tone_memory_read, &mem, size, NULL, &diag);
    }
    int status = CLI_EXIT_FAIL;
    if (err != OTA_OK) {
        cli_error("cannot build %s: %s", out_path, ota_strerror(err));
    } else if ((status = write_all(out_path, image, size)) == CLI_EXIT_OK) {
        out_emit(make_result(out_path, cfg, l, image, size), json, make_text, NULL);
    }
    free(image);
    free(files);
    return status;
}

int cmd_tone_make(int argc, char **argv)
{
    enum {
        OPT_TIME = 256,
        OPT_DATE,
        OPT_KEEP_ORDER
    };
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'F'},
        {"version", required_argument, NULL, 'v'},
        {"time", required_argument, NULL, OPT_TIME},
        {"date", required_argument, NULL, OPT_DATE},
        {"keep-order", no_argument, NULL, OPT_KEEP_ORDER},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t a = {.command = "tone make", .usage = make_usage};
    ota_tone_build_config_t cfg = {.format = OTA_TONE_BUILD_FORMAT_1, .version = OTA_TONE_DEFAULT_VERSION};
    const char *time_arg = NULL, *date_arg = NULL, *version_arg = NULL;
    bool keep_order = false;
    int c;
    while ((c = cli_getopt(&a, argc, argv, ":F:v:h", longopts)) != -1) {
        switch (c) {
        case 'F':
            if (strcmp(optarg, "0") == 0) {
                cfg.format = OTA_TONE_BUILD_FORMAT_0;
            } else if (strcmp(optarg, "1") == 0) {
                cfg.format = OTA_TONE_BUILD_FORMAT_1;
            } else {
                return cli_usage_error("tone make", "invalid --format '%s': 0 or 1", optarg);
            }
            break;
        case 'v':
            if (strlen(optarg) > OTA_TONE_DESC_VERSION_LEN) {
                return cli_usage_error("tone make", "--version '%s' is longer than 32 bytes", optarg);
            }
            version_arg = optarg;
            break;
        case OPT_TIME:
            if (!valid_time(optarg)) {
                return cli_usage_error("tone make", "invalid --time '%s': HH:MM:SS", optarg);
            }
            time_arg = optarg;
            break;
        case OPT_DATE:
            if (!valid_date(optarg)) {
                return cli_usage_error("tone make", "invalid --date '%s': YYYY-MM-DD", optarg);
            }
            date_arg = optarg;
            break;
        case OPT_KEEP_ORDER: keep_order = true; break;
        }
    }
    const char *missing = argc - optind == 0 ? "missing FILES and OUT.bin" : "missing FILES before OUT.bin";
    if (!cli_operands(&a, argc, 2, -1, missing)) {
        return a.status;
    }
    const char *out_path = argv[argc - 1];
    if (cfg.format == OTA_TONE_BUILD_FORMAT_0 && (version_arg || time_arg || date_arg)) {
        cli_warn("--version, --time and --date only apply to format 1; ignored");
    }
    char time_buf[32], date_buf[32];
    if (!default_time(time_buf, sizeof time_buf, date_buf, sizeof date_buf)) {
        return cli_usage_error("tone make", "invalid SOURCE_DATE_EPOCH '%s'", getenv("SOURCE_DATE_EPOCH"));
    }
    cfg.version = version_arg ? version_arg : OTA_TONE_DEFAULT_VERSION;
    cfg.time = time_arg ? time_arg : time_buf;
    cfg.date = date_arg ? date_arg : date_buf;

    input_list_t inputs = {0};
    int status = CLI_EXIT_OK;
    for (int i = optind; i < argc - 1 && status == CLI_EXIT_OK; i++) {
        struct stat st;
        const char *arg = argv[i];
        if (stat(arg, &st) != 0) {
            cli_error("cannot open %s: %s", arg, strerror(errno));
            status = CLI_EXIT_FAIL;
        } else if (S_ISDIR(st.st_mode)) {
            status = add_directory(&inputs, arg);
        } else if (has_suffix(arg, ".mp3", true) || has_suffix(arg, ".wav", true)) {
            if (!add_input(&inputs, arg,
                           has_suffix(arg, ".mp3", true) ? OTA_TONE_FILE_MP3 : OTA_TONE_FILE_WAV)) {
                cli_error("out of memory");
                status = CLI_EXIT_FAIL;
            }
        } else {
            inputs_free(&inputs);
            return cli_usage_error("tone make",
                                   "%s: not a .mp3 or .wav file (the only types of a tone image)", arg);
        }
    }
    if (status == CLI_EXIT_OK && inputs.count == 0) {
        cli_error("no .mp3 or .wav files to pack");
        status = CLI_EXIT_FAIL;
    }
    if (status == CLI_EXIT_OK && inputs.count > OTA_TONE_MAX_FILES) {
        cli_error("%zu files: a tone image holds at most %u (song_index is one byte)", inputs.count,
                  OTA_TONE_MAX_FILES);
        status = CLI_EXIT_FAIL;
    }
    if (status == CLI_EXIT_OK) {
        if (!keep_order) {
            qsort(inputs.items, inputs.count, sizeof *inputs.items, compare_by_name);
        }
        status = make_image(out_path, &cfg, &inputs, a.json);
    }
    inputs_free(&inputs);
    return status;
}
