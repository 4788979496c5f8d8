/* Secure Boot V2 verification time per scheme and esp_encrypted_img decryption throughput, in
 * process, built once per crypto backend (ota_secure_bench_openssl / ota_secure_bench_mbedtls).
 *
 *   ota_secure_bench TESTDATA_SECURE_DIR [MiB [rsa3072|ecdsa256|ecdsa384 [RUNS]]]
 *
 * Instructions per verification: valgrind --tool=callgrind --toggle-collect=ota_sig_verify_sector
 *   ota_secure_bench_openssl DIR 1 SCHEME RUNS   (RUNS direct verifications + 1 in the streaming
 *   verifier; without RUNS: 41 + 9). bench_secure.py takes the counts of RUNS = 6 and RUNS = 2 and
 *   divides the difference by 4, which leaves out OpenSSL's one-time set-up in the first call.
 *
 * JSON lines on stdout:
 *  - {"bench":"verify", scheme, us_median, ...}: ota_sig_verify_sector on the vector's sector
 *    (parse, key digest, signature check; the image digest is given), median of 41 runs, the
 *    crypto library's heap peak and allocations of one of them (crypto_heap_peak), and
 *    stream_verify_us_median: the streaming verifier over the whole vector (hash + verify);
 *  - {"bench":"decrypt", ...}: the streaming decryptor (ota_enc_img_dec_update in 64 KiB pieces)
 *    over a MiB-sized image encrypted in process, against the backend's own AES-256-GCM decrypt
 *    of the same bytes in the same pieces (OpenSSL: EVP, what `openssl speed -evp aes-256-gcm`
 *    runs); the ratio is the decryptor's overhead. The header (key derivation: RSA decryption or
 *    PBKDF2 + ECDH + HKDF) is timed separately as key_setup_us. All times are thread CPU time;
 *  - {"bench":"memory", ...}: struct sizes and the crypto library's heap per decryption. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_enc_img.h"
#include "ota/ota_enc_img_decrypt.h"
#include "ota/ota_err.h"
#include "ota/ota_sig_block.h"
#include "ota/ota_sig_verify.h"

#ifdef BENCH_MALLOC
#include "malloc_count.h"
#endif

/* CPU time of this thread: the machine running the benchmark may be shared (CPU pressure), and
 * every measurement here is single-threaded CPU work, so CPU time is the stable figure. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint8_t *load(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc((size_t)n);
    if (d == NULL || fread(d, 1, (size_t)n, f) != (size_t)n) {
        exit(1);
    }
    fclose(f);
    *len = (size_t)n;
    return d;
}

static void bench_verify(const char *dir, const char *name, const char *scheme, int runs, int stream_runs)
{
    size_t len;
    uint8_t *img = load(dir, name, &len);
    uint8_t d256[32], d384[48];
    ota_sha256(img, len - 4096, d256);
    ota_sha384(img, len - 4096, d384);
    enum {
        RUNS = 41,
        STREAM_RUNS = 9
    };
    double t[RUNS];
    size_t heap_peak = 0, heap_allocs = 0;
    for (int i = 0; i < runs; i++) {
#ifdef BENCH_MALLOC
        /* the crypto library's heap of one verification, taken from the last run (the first ones
         * include the library's one-time initialisation) */
        bench_malloc_stats_t m0, m1;
        bench_malloc_reset_peak();
        bench_malloc_get(&m0);
#endif
        double t0 = now_s();
        int err = ota_sig_verify_sector(img + len - 4096, d256, d384, NULL, NULL);
        t[i] = now_s() - t0;
#ifdef BENCH_MALLOC
        bench_malloc_get(&m1);
        heap_peak = m1.peak_bytes - m0.current_bytes;
        heap_allocs = (size_t)(m1.allocations - m0.allocations);
#endif
        if (err != OTA_OK) {
            fprintf(stderr, "%s: %s\n", name, ota_err_name(err));
            exit(1);
        }
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp_double);
    /* the whole streaming check: hash every byte + the sector */
    ota_sig_verifier_t *v = malloc(sizeof *v);
    double s[STREAM_RUNS];
    for (int i = 0; i < stream_runs; i++) {
        double t0 = now_s();
        ota_sig_verifier_init(v, OTA_SIG_LAYOUT_DATA,
                              strcmp(scheme, "ecdsa384") == 0 ? OTA_SIG_SCHEME_ECDSA_P384
                                                              : OTA_SIG_SCHEME_RSA3072);
        for (size_t off = 0; off < len; off += 4096) {
            ota_sig_verifier_feed(v, img + off, len - off < 4096 ? len - off : 4096);
        }
        if (ota_sig_verifier_finish(v, NULL, NULL, NULL) != OTA_OK) {
            exit(1);
        }
        s[i] = now_s() - t0;
    }
    qsort(s, (size_t)stream_runs, sizeof s[0], cmp_double);
    printf("{\"bench\":\"verify\",\"backend\":\"%s\",\"scheme\":\"%s\",\"runs\":%d,\"us_median\":%.1f,"
           "\"us_min\":%.1f,\"image\":\"%s\",\"image_bytes\":%zu,\"stream_verify_us_median\":%.1f,"
           "\"crypto_heap_peak\":%zu,\"crypto_allocs\":%zu}\n",
           ota_crypto_backend(), scheme, runs, t[runs / 2] * 1e6, t[0] * 1e6, name, len,
           s[stream_runs / 2] * 1e6, heap_peak, heap_allocs);
    free(v);
    free(img);
}

static void bench_decrypt(size_t mib)
{
    size_t len = mib << 20;
    uint8_t *plain = malloc(len), *enc = malloc(len + OTA_ENC_IMG_HEADER_SIZE + 16),
            *out = malloc((64 << 10) + 16);
    for (size_t i = 0; i < len; i++) {
        plain[i] = (uint8_t)(i * 2654435761u >> 13);
    }
    /* ECIES image for a fixed HMAC key, made in process with the same primitives the CLI uses */
    uint8_t hmac[32], dpriv[32], dx[32], dy[32], epriv[32], secret[32], aes[32];
    memset(hmac, 0x5A, sizeof hmac);
    memset(epriv, 0x11, sizeof epriv);
    ota_enc_img_header_t h;
    memset(&h, 0, sizeof h);
    memset(h.iv, 0x22, sizeof h.iv);
    memset(h.key_field + 64, 0x33, 32);
    h.image_len = (uint32_t)len;
    static const char info[] = OTA_ENC_IMG_ECIES_HKDF_INFO;
    if (ota_enc_img_ecies_device_key(hmac, 32, dpriv) || ota_ec_p256_public(dpriv, dx, dy) ||
        ota_ec_p256_public(epriv, h.key_field, h.key_field + 32) || ota_ecdh_p256(epriv, dx, dy, secret) ||
        ota_hkdf_sha256(secret, 32, h.key_field + 64, 32, (const uint8_t *)info, sizeof info - 1, aes, 32)) {
        fprintf(stderr, "key set-up failed\n");
        exit(1);
    }
    ota_aes_gcm_ctx_t g;
    ota_aes_gcm_init(&g, 1, aes, h.iv, sizeof h.iv);
    int n = ota_aes_gcm_update(&g, plain, len, enc + OTA_ENC_IMG_HEADER_SIZE);
    ota_aes_gcm_finish_encrypt(&g, enc + OTA_ENC_IMG_HEADER_SIZE + n, h.tag);
    ota_enc_img_header_serialise(&h, enc);

    const size_t piece = 64 << 10;
    enum {
        RUNS = 7
    };
    double td[RUNS], tb[RUNS], tk[RUNS];
    size_t heap_peak = 0, heap_allocs = 0;
    for (int r = 0; r < RUNS; r++) {
        /* A: the streaming decryptor, header included (key derivation counted) */
        ota_enc_img_decryptor_t d;
        ota_enc_img_key_t key = {OTA_ENC_SCHEME_ECIES_P256, hmac, 32};
#ifdef BENCH_MALLOC
        bench_malloc_stats_t m0, m1;
        bench_malloc_reset_peak();
        bench_malloc_get(&m0);
#endif
        double t0 = now_s();
        ota_enc_img_dec_init(&d, &key);
        if (ota_enc_img_dec_update(&d, enc, OTA_ENC_IMG_HEADER_SIZE, out, piece + 16) != 0) {
            exit(1);
        }
        tk[r] = now_s() - t0;
        t0 = now_s();
        size_t total = len + OTA_ENC_IMG_HEADER_SIZE, got = 0;
        for (size_t off = OTA_ENC_IMG_HEADER_SIZE; off < total; off += piece) {
            size_t k = total - off < piece ? total - off : piece;
            int w = ota_enc_img_dec_update(&d, enc + off, k, out, piece + 16);
            if (w < 0) {
                fprintf(stderr, "decrypt: %s\n", ota_err_name(w));
                exit(1);
            }
            got += (size_t)w;
        }
        int w = ota_enc_img_dec_finish(&d, out);
        td[r] = now_s() - t0;
#ifdef BENCH_MALLOC
        bench_malloc_get(&m1);
        heap_peak = m1.peak_bytes - m0.current_bytes;
        heap_allocs = (size_t)(m1.allocations - m0.allocations);
#endif
        if (w < 0 || got + (size_t)w != len) {
            fprintf(stderr, "decrypt failed\n");
            exit(1);
        }
        /* B: the backend's AES-256-GCM alone over the same ciphertext, same pieces */
        t0 = now_s();
        ota_aes_gcm_init(&g, 0, aes, h.iv, sizeof h.iv);
        for (size_t off = 0; off < len; off += piece) {
            size_t k = len - off < piece ? len - off : piece;
            ota_aes_gcm_update(&g, enc + OTA_ENC_IMG_HEADER_SIZE + off, k, out);
        }
        if (ota_aes_gcm_finish_decrypt(&g, out, h.tag) < 0) {
            exit(1);
        }
        tb[r] = now_s() - t0;
    }
    qsort(td, RUNS, sizeof td[0], cmp_double);
    qsort(tb, RUNS, sizeof tb[0], cmp_double);
    qsort(tk, RUNS, sizeof tk[0], cmp_double);
    printf("{\"bench\":\"decrypt\",\"backend\":\"%s\",\"scheme\":\"ecies-p256\",\"bytes\":%zu,\"piece\":%zu,"
           "\"decryptor_MBps\":%.1f,\"aes_gcm_only_MBps\":%.1f,\"ratio_time\":%.3f,\"key_setup_us\":%.1f,"
           "\"clock\":\"thread_cpu\"}\n",
           ota_crypto_backend(), len, piece, (double)len / td[RUNS / 2] / 1e6,
           (double)len / tb[RUNS / 2] / 1e6, td[RUNS / 2] / tb[RUNS / 2], tk[RUNS / 2] * 1e6);
    printf("{\"bench\":\"memory\",\"backend\":\"%s\",\"sizeof_decryptor\":%zu,\"sizeof_sig_verifier\":%zu,"
           "\"sizeof_sig_report\":%zu,\"crypto_heap_peak_per_decrypt\":%zu,\"crypto_allocs_per_decrypt\":%zu,"
           "\"malloc_counted\":%s}\n",
           ota_crypto_backend(), sizeof(ota_enc_img_decryptor_t), sizeof(ota_sig_verifier_t),
           sizeof(ota_sig_report_t), heap_peak, heap_allocs,
#ifdef BENCH_MALLOC
           bench_malloc_available() ? "true" : "false"
#else
           "false"
#endif
    );
    free(plain);
    free(enc);
    free(out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TESTDATA/secure [MiB]\n", argv[0]);
        return 2;
    }
    static const char *const schemes[][2] = {{"app_esp32c6_rsa3072.bin", "rsa3072"},
                                             {"app_esp32c6_ecdsa256.bin", "ecdsa256"},
                                             {"app_esp32c6_ecdsa384.bin", "ecdsa384"}};
    /* a third argument runs only that scheme's verification (for callgrind --toggle-collect), a
     * fourth fewer of them: RUNS direct + 1 streaming (callgrind is ~50 times slower) */
    const char *only = argc > 3 ? argv[3] : NULL;
    int runs = argc > 4 ? atoi(argv[4]) : 41;
    if (runs < 1 || runs > 41) {
        fprintf(stderr, "RUNS: 1 to 41\n");
        return 2;
    }
    for (size_t i = 0; i < 3; i++) {
        if (only == NULL || strcmp(only, schemes[i][1]) == 0) {
            bench_verify(argv[1], schemes[i][0], schemes[i][1], runs, argc > 4 ? 1 : 9);
        }
    }
    if (only == NULL) {
        bench_decrypt(argc > 2 ? (size_t)atoi(argv[2]) : 64);
    }
    return 0;
}
