/*
 * The http:// source against a minimal HTTP/1.1 server in a thread of this test (127.0.0.1): read
 * sizes that cut curl's chunks anywhere, bounded memory, no allocation per read, Range/If-Range on
 * an automatic resume, expectations, and errors that need no real server.
 * The real peers (python http.server, nginx with TLS, the fault server) are in
 * tests/integration/test_sources.py.
 */
#include "test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ota/ota_err.h"
#include "ota/port/ota_mem.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"

#define ETAG "\"v1-abc\""

typedef struct {
    int listen_fd;
    int port;
    pthread_t thread;
    uint8_t *data;
    size_t len;
    long close_first_at; /* first request: close after this absolute offset (-1: never) */
    int requests;        /* written by the server thread, read after the transfer */
    char last_range[64];
    char last_if_range[64];
    pthread_mutex_t lock;
} mini_server_t;

static bool header_value(const char *req, const char *name, char *out, size_t out_size)
{
    size_t n = strlen(name);
    for (const char *p = strstr(req, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n;
            while (*v == ' ') {
                v++;
            }
            size_t len = strcspn(v, "\r");
            len = len < out_size - 1 ? len : out_size - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return true;
        }
    }
    out[0] = '\0';
    return false;
}

static void send_all(int fd, const void *p, size_t len)
{
    const uint8_t *b = p;
    while (len > 0) {
        ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
        if (n <= 0) {
            return;
        }
        b += n;
        len -= (size_t)n;
    }
}

static void *server_main(void *arg)
{
    mini_server_t *s = arg;
    for (;;) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) {
            return NULL; /* listening socket shut down */
        }
        char req[4096];
        size_t used = 0;
        while (used < sizeof req - 1) {
            ssize_t n = recv(fd, req + used, sizeof req - 1 - used, 0);
            if (n <= 0) {
                break;
            }
            used += (size_t)n;
            req[used] = '\0';
            if (strstr(req, "\r\n\r\n") != NULL) {
                break;
            }
        }
        req[used] = '\0';
        pthread_mutex_lock(&s->lock);
        int nreq = ++s->requests;
        char range[64], if_range[64];
        header_value(req, "Range", range, sizeof range);
        header_value(req, "If-Range", if_range, sizeof if_range);
        memcpy(s->last_range, range, sizeof range);
        memcpy(s->last_if_range, if_range, sizeof if_range);
        pthread_mutex_unlock(&s->lock);

        size_t first = 0;
        bool ranged =
            sscanf(range, "bytes=%zu-", &first) == 1 && (if_range[0] == '\0' || !strcmp(if_range, ETAG));
        char head[512];
        int hl;
        if (ranged) {
            hl = snprintf(
                head, sizeof head,
                "HTTP/1.1 206 Partial Content\r\nContent-Length: %zu\r\nContent-Range: bytes %zu-%zu/%zu\r\n"
                "ETag: " ETAG "\r\nConnection: close\r\n\r\n",
                s->len - first, first, s->len - 1, s->len);
        } else {
            first = 0;
            hl = snprintf(head, sizeof head,
                          "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nETag: " ETAG
                          "\r\nConnection: close\r\n\r\n",
                          s->len);
        }
        send_all(fd, head, (size_t)hl);
        size_t end = s->len;
        if (nreq == 1 && s->close_first_at >= 0 && (size_t)s->close_first_at < end) {
            end = (size_t)s->close_first_at;
        }
        if (end > first) {
            send_all(fd, s->data + first, end - first);
        }
        shutdown(fd, SHUT_WR);
        close(fd);
    }
}

static mini_server_t *server_start(size_t len, long close_first_at)
{
    mini_server_t *s = calloc(1, sizeof *s);
    s->len = len;
    s->data = malloc(len ? len : 1);
    ts_fill_random(s->data, len, len);
    s->close_first_at = close_first_at;
    pthread_mutex_init(&s->lock, NULL);
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->listen_fd, 16), 0);
    socklen_t al = sizeof a;
    getsockname(s->listen_fd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
    return s;
}

static void server_stop(mini_server_t *s)
{
    shutdown(s->listen_fd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    pthread_mutex_destroy(&s->lock);
    free(s->data);
    free(s);
}

static void url_of(const mini_server_t *s, char *out, size_t size)
{
    snprintf(out, size, "http://127.0.0.1:%d/app.bin", s->port);
}

static const ota_source_posix_config_t k_posix = {
    .proxy = "", .retry_backoff_ms = 10, .stall_timeout_ms = 5000};
static const ota_source_config_t k_cfg = {.transport = &k_posix};

static void test_any_read_size(void **state)
{
    (void)state;
    /* curl hands over up to 16 KiB per callback; reads of these sizes split those anywhere. */
    const size_t sizes[] = {1, 7, 4095, 4096, 16383, 16385, 70000};
    mini_server_t *s = server_start(100003, -1);
    char url[128];
    url_of(s, url, sizeof url);
    uint8_t *out = malloc(s->len);
    uint8_t *buf = malloc(70000);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ota_source_t *src = NULL;
        assert_int_equal(ota_source_open(NULL, &k_cfg, url, 0, NULL, &src, NULL), OTA_OK);
        const ota_source_info_t *info = ota_source_get_info(src);
        assert_int_equal(info->http_status, 200);
        assert_int_equal(info->total_size, (int64_t)s->len);
        assert_string_equal(info->etag, ETAG);
        ota_mem_stats_t before, after;
        ota_mem_get_stats(&before);
        size_t got = 0;
        for (;;) {
            int n = ota_source_read(src, buf, sizes[i]);
            assert_true(n >= 0);
            if (n == 0) {
                break;
            }
            assert_true((size_t)n <= sizes[i]);
            assert_true(got + (size_t)n <= s->len);
            memcpy(out + got, buf, (size_t)n);
            got += (size_t)n;
            assert_int_equal(info->offset, got);
        }
        ota_mem_get_stats(&after);
        assert_int_equal(after.allocations, before.allocations); /* nothing allocated per read */
        assert_int_equal(got, s->len);
        assert_memory_equal(out, s->data, s->len);
        ota_source_close(src);
    }
    free(buf);
    free(out);
    server_stop(s);
}

static void test_memory_is_bounded(void **state)
{
    (void)state;
    mini_server_t *s = server_start(4u << 20, -1);
    char url[128];
    url_of(s, url, sizeof url);
    ota_mem_stats_t base, st;
    ota_mem_get_stats(&base);
    ota_mem_reset_peak();
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_open(NULL, &k_cfg, url, 0, NULL, &src, NULL), OTA_OK);
    uint8_t buf[4096];
    long total = 0;
    int n;
    while ((n = ota_source_read(src, buf, sizeof buf)) > 0) {
        total += n;
    }
    assert_int_equal(n, 0);
    assert_int_equal(total, 4u << 20);
    ota_mem_get_stats(&st);
    /* The source keeps no receive buffer (what does not fit the reader's buffer stays with
     * libcurl, paused): its state and the URL's copy only, under 2 KiB whatever the body. */
    assert_true(st.peak_bytes - base.current_bytes < 2048);
    ota_source_close(src);
    ota_mem_get_stats(&st);
    assert_int_equal(st.current_bytes, base.current_bytes);
    server_stop(s);
}

static void test_automatic_resume_sends_range_and_if_range(void **state)
{
    (void)state;
    mini_server_t *s = server_start(200000, 50000);
    char url[128];
    url_of(s, url, sizeof url);
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_open(NULL, &k_cfg, url, 0, NULL, &src, NULL), OTA_OK);
    uint8_t *out = malloc(s->len + 1);
    assert_int_equal(ota_source_read_full(src, out, s->len + 1), (long)s->len);
    assert_memory_equal(out, s->data, s->len);
    const ota_source_info_t *info = ota_source_get_info(src);
    assert_int_equal(info->retries, 1);
    assert_int_equal(info->http_status, 206);
    assert_int_equal(s->requests, 2);
    assert_string_equal(s->last_range, "bytes=50000-");
    assert_string_equal(s->last_if_range, ETAG);
    ota_source_close(src);
    free(out);
    server_stop(s);
}

static void test_open_at_offset_with_expect(void **state)
{
    (void)state;
    mini_server_t *s = server_start(30000, -1);
    char url[128];
    url_of(s, url, sizeof url);
    ota_source_expect_t ex = {.etag = ETAG, .total_size = 30000};
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_open(NULL, &k_cfg, url, 12345, &ex, &src, NULL), OTA_OK);
    assert_int_equal(ota_source_get_info(src)->http_status, 206);
    assert_int_equal(ota_source_get_info(src)->offset, 12345);
    uint8_t out[30000];
    assert_int_equal(ota_source_read_full(src, out, sizeof out), 30000 - 12345);
    assert_memory_equal(out, s->data + 12345, 30000 - 12345);
    assert_string_equal(s->last_range, "bytes=12345-");
    assert_string_equal(s->last_if_range, ETAG);
    ota_source_close(src);

    /* another ETag: If-Range makes the server send 200 -> refused, never appended */
    ota_source_expect_t old = {.etag = "\"v0\"", .total_size = 30000};
    ota_source_info_t diag;
    assert_int_equal(ota_source_open(NULL, &k_cfg, url, 100, &old, &src, &diag),
                     OTA_ERR_SRC_RESOURCE_CHANGED);
    assert_null(src);
    assert_int_equal(diag.http_status, 200);
    assert_non_null(strstr(diag.error, "200"));
    /* a different length with no ETag to compare */
    ota_source_expect_t len_only = {.etag = "", .total_size = 29999};
    assert_int_equal(ota_source_open(NULL, &k_cfg, url, 100, &len_only, &src, &diag),
                     OTA_ERR_SRC_RESOURCE_CHANGED);
    assert_non_null(strstr(diag.error, "length changed"));
    server_stop(s);
}

static void test_errors_without_a_server(void **state)
{
    (void)state;
    /* a port nobody listens on: bind, note it, close */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x.bin", ntohs(a.sin_port));
    ota_source_t *src = NULL;
    ota_source_info_t diag;
    assert_int_equal(ota_source_open(NULL, &k_cfg, url, 0, NULL, &src, &diag), OTA_ERR_SRC_CONNECT);
    assert_null(src);
    assert_true(diag.error[0] != '\0');
    assert_int_equal(ota_source_open(NULL, &k_cfg, "http://[::1/x", 0, NULL, &src, &diag), OTA_ERR_SRC_URI);
    assert_int_equal(ota_source_open(NULL, &k_cfg, "http://exa mple/x", 0, NULL, &src, &diag),
                     OTA_ERR_SRC_URI);
}

/* Two services in one process open sources at the same time (curl_global_init runs once). */
typedef struct {
    const char *url;
    size_t len;
    long got;
} worker_t;

static void *worker(void *arg)
{
    worker_t *w = arg;
    ota_source_t *src = NULL;
    if (ota_source_open(NULL, &k_cfg, w->url, 0, NULL, &src, NULL) != OTA_OK) {
        w->got = -1;
        return NULL;
    }
    uint8_t *buf = malloc(w->len + 1);
    w->got = ota_source_read_full(src, buf, w->len + 1);
    free(buf);
    ota_source_close(src);
    return NULL;
}

static void test_two_sources_in_two_threads(void **state)
{
    (void)state;
    mini_server_t *s = server_start(300000, -1);
    char url[128];
    url_of(s, url, sizeof url);
    worker_t w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker_t){.url = url, .len = s->len};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].got, (long)s->len);
    }
    server_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_sources_in_two_threads), /* first: races the one-time curl init */
        cmocka_unit_test(test_any_read_size),
        cmocka_unit_test(test_memory_is_bounded),
        cmocka_unit_test(test_automatic_resume_sends_range_and_if_range),
        cmocka_unit_test(test_open_at_offset_with_expect),
        cmocka_unit_test(test_errors_without_a_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
