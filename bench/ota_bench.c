/* ota_bench: the in-process measurements behind `make bench` (bench/bench.py drives it).
 *
 *   ota_bench update  --device DEV.bin --uri URI [options]   run an update through the service
 *   ota_bench source  --uri URI [--repeat N]                 read a resource through a source alone
 *   ota_bench sha     FILE [--repeat N] [--chunk N]          SHA-256 of a file (same backend)
 *   ota_bench devtime --device DEV.bin --image FILE [--data LABEL]
 *                                                            simulated flash time: service, floor,
 *                                                            ESP-ADF-like strategies
 *
 * Every command prints JSON objects, one per line, on stdout. The measured code runs inside a
 * noinline function of its own (bench_service_run, bench_source_run, bench_sha_run) so callgrind
 * can count exactly that with --toggle-collect=FUNCTION.
 *
 * update: DEV.bin is a pristine device image; with --file-device WORK.bin the update runs on a
 * copy of it opened like `ota run` does (file-backed, mmap), else on the RAM emulator loaded with
 * its bytes. The device is reset to the pristine bytes before every repeat (not timed). Memory
 * figures: the library's counters (ota_mem: everything the service and its sources allocate)
 * and a process-wide malloc counter (malloc_count.c: libcurl and OpenSSL included). */
#include "ota_bench.h"

uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void die(const char *fmt, const char *a, int err)
{
    fprintf(stderr, "ota_bench: ");
    fprintf(stderr, fmt, a);
    if (err != 0) {
        fprintf(stderr, ": %s (%d)", ota_strerror(err), err);
    }
    fputc('\n', stderr);
    exit(1);
}

uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        die("cannot open %s", path, 0);
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        die("cannot stat %s", path, 0);
    }
    uint8_t *data = malloc((size_t)st.st_size + 1);
    if (data == NULL || fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        die("cannot read %s", path, 0);
    }
    fclose(f);
    *len = (size_t)st.st_size;
    return data;
}

void write_file(const char *path, const uint8_t *data, size_t len)
{
    /* In place (no O_TRUNC): the blocks stay allocated, so the update's own I/O is not mixed with
     * the write-back of a fresh file (ext4 delayed allocation); see bench.py reset_device. */
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        die("cannot create %s", path, 0);
    }
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            die("cannot write %s", path, 0);
        }
        data += n;
        len -= (size_t)n;
    }
    close(fd);
}

/* ---- main --------------------------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ota_bench update  --device DEV.bin --uri URI [--file-device WORK.bin] [--running LABEL]\n"
            "                         [--data LABEL] [--repeat N] [--phases] [--boot] [--cacert PEM] "
            "[--buffer N]\n"
            "                         [--security STATE_LINES] [--decrypt-key rsa3072:PEM|ecies:KEY.bin]\n"
            "       ota_bench source  --uri URI [--repeat N] [--buffer N] [--cacert PEM]\n"
            "       ota_bench sha     FILE [--repeat N] [--chunk N]\n"
            "       ota_bench devtime --device DEV.bin --image FILE [--data LABEL] [--running LABEL]\n"
            "       ota_bench release --device DEV.bin --running LABEL MANIFEST.json\n"
            "       ota_bench space   TABLE.csv ...\n"
            "JSON lines on stdout; see bench/README.md.\n");
}

int main(int argc, char **argv)
{
    enum {
        OPT_DEVICE = 256,
        OPT_FILEDEV,
        OPT_URI,
        OPT_RUNNING,
        OPT_DATA,
        OPT_REPEAT,
        OPT_PHASES,
        OPT_BOOT,
        OPT_CACERT,
        OPT_BUFFER,
        OPT_CHUNK,
        OPT_IMAGE,
        OPT_VERBOSE,
        OPT_SECURITY,
        OPT_DECRYPT
    };
    static const struct option options[] = {
        {"device", required_argument, NULL, OPT_DEVICE},
        {"file-device", required_argument, NULL, OPT_FILEDEV},
        {"uri", required_argument, NULL, OPT_URI},
        {"running", required_argument, NULL, OPT_RUNNING},
        {"data", required_argument, NULL, OPT_DATA},
        {"repeat", required_argument, NULL, OPT_REPEAT},
        {"phases", no_argument, NULL, OPT_PHASES},
        {"boot", no_argument, NULL, OPT_BOOT},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"buffer", required_argument, NULL, OPT_BUFFER},
        {"chunk", required_argument, NULL, OPT_CHUNK},
        {"image", required_argument, NULL, OPT_IMAGE},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"security", required_argument, NULL, OPT_SECURITY},
        {"decrypt-key", required_argument, NULL, OPT_DECRYPT},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "space") == 0) {
        return cmd_space(argc - 2, argv + 2);
    }
    options_t o = {.repeat = 1, .buffer = 4096, .chunk = 4096};
    bool verbose = false;
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case OPT_DEVICE: o.device = optarg; break;
        case OPT_FILEDEV: o.file_device = optarg; break;
        case OPT_URI: o.uri = optarg; break;
        case OPT_RUNNING: o.running = optarg; break;
        case OPT_DATA: o.data_label = optarg; break;
        case OPT_REPEAT: o.repeat = atoi(optarg); break;
        case OPT_PHASES: o.phases = true; break;
        case OPT_BOOT: o.boot = true; break;
        case OPT_CACERT: o.cacert = optarg; break;
        case OPT_BUFFER: o.buffer = (size_t)strtoul(optarg, NULL, 0); break;
        case OPT_CHUNK: o.chunk = (size_t)strtoul(optarg, NULL, 0); break;
        case OPT_IMAGE: o.image = optarg; break;
        case OPT_VERBOSE: verbose = true; break;
        case OPT_SECURITY: o.security = optarg; break;
        case OPT_DECRYPT: o.decrypt_key = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        o.image = argv[optind];
    }
    if (o.repeat < 1 || o.repeat > MAX_REPEAT || o.buffer < 512 || o.chunk == 0) {
        usage(stderr);
        return 2;
    }
    ota_log_to_stream(stderr, 0);
    ota_log_set_level(verbose ? OTA_LOG_INFO : OTA_LOG_ERROR);
    /* OpenSSL sets itself up on first use (CPU features, the provider behind the one-shot MD5 of
     * partition tables): done here, outside the measured functions, so callgrind's per-byte
     * figures are the steady state. */
    uint8_t warm[OTA_SHA256_LEN];
    ota_sha256("", 0, warm);
    ota_md5("", 0, warm);
    if (strcmp(cmd, "update") == 0) {
        return cmd_update(&o);
    }
    if (strcmp(cmd, "source") == 0) {
        return cmd_source(&o);
    }
    if (strcmp(cmd, "sha") == 0) {
        return cmd_sha(&o);
    }
    if (strcmp(cmd, "devtime") == 0) {
        return cmd_devtime(&o);
    }
    if (strcmp(cmd, "release") == 0) {
        return cmd_release(&o);
    }
    usage(stderr);
    return 2;
}
