/* A scripted stand-in for ESP-IDF's esp_http_client, for the host test of the ESP-IDF port's HTTP
 * source (src/port/esp-idf/source_http_esp.c). It implements the calls the source makes, with the
 * signatures of ESP-IDF v6.0.2's esp_http_client.h (included from ../shared/esp-idf, so a
 * mismatch does not compile), and behaves as that client does where the source relies on it
 * (components/esp_http_client/esp_http_client.c, v6.0.2): header fields reach the event handler
 * as HTTP_EVENT_ON_HEADER, fetch_headers returns the Content-Length (0 for none),
 * esp_http_client_read returns 0 at the end of the body and also when the peer closes early (then
 * is_complete_data_received says false), set_redirection takes the last Location. Each
 * esp_http_client_open takes the next scripted response and records the request. */
#include "fake_esp_http_client.h"

#include <stdlib.h>
#include <string.h>

fake_http_t g_fake;

struct esp_http_client {
    http_event_handle_cb handler;
    void *user_data;
    char url[256];
    char range[64];
    char if_range[160];
    const fake_response_t *resp;
    size_t pos;
    char location[256];
};

void fake_http_reset(void)
{
    memset(&g_fake, 0, sizeof g_fake);
}

esp_http_client_handle_t esp_http_client_init(const esp_http_client_config_t *config)
{
    struct esp_http_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->handler = config->event_handler;
    c->user_data = config->user_data;
    snprintf(c->url, sizeof c->url, "%s", config->url);
    g_fake.clients++;
    return c;
}

esp_err_t esp_http_client_set_url(esp_http_client_handle_t c, const char *url)
{
    snprintf(c->url, sizeof c->url, "%s", url);
    return ESP_OK;
}

esp_err_t esp_http_client_set_header(esp_http_client_handle_t c, const char *key, const char *value)
{
    if (strcmp(key, "Range") == 0) {
        snprintf(c->range, sizeof c->range, "%s", value);
    } else if (strcmp(key, "If-Range") == 0) {
        snprintf(c->if_range, sizeof c->if_range, "%s", value);
    }
    return ESP_OK;
}

esp_err_t esp_http_client_delete_header(esp_http_client_handle_t c, const char *key)
{
    if (strcmp(key, "Range") == 0) {
        c->range[0] = '\0';
    } else if (strcmp(key, "If-Range") == 0) {
        c->if_range[0] = '\0';
    }
    return ESP_OK;
}

esp_err_t esp_http_client_open(esp_http_client_handle_t c, int write_len)
{
    (void)write_len;
    if (g_fake.requests >= FAKE_MAX || g_fake.requests >= g_fake.count) {
        return ESP_ERR_HTTP_CONNECT;
    }
    fake_request_t *r = &g_fake.request[g_fake.requests];
    snprintf(r->url, sizeof r->url, "%s", c->url);
    snprintf(r->range, sizeof r->range, "%s", c->range);
    snprintf(r->if_range, sizeof r->if_range, "%s", c->if_range);
    c->resp = &g_fake.response[g_fake.requests++];
    c->pos = 0;
    c->location[0] = '\0';
    return ESP_OK;
}

int64_t esp_http_client_fetch_headers(esp_http_client_handle_t c)
{
    int64_t length = 0;
    for (int i = 0; i < FAKE_MAX_HEADERS && c->resp->headers[i] != NULL; i++) {
        char key[64];
        const char *colon = strchr(c->resp->headers[i], ':');
        size_t n = (size_t)(colon - c->resp->headers[i]);
        memcpy(key, c->resp->headers[i], n);
        key[n] = '\0';
        char *value = (char *)colon + 2;
        if (strcmp(key, "Content-Length") == 0) {
            length = strtoll(value, NULL, 10);
        } else if (strcmp(key, "Location") == 0) {
            snprintf(c->location, sizeof c->location, "%s", value);
        }
        esp_http_client_event_t evt = {.event_id = HTTP_EVENT_ON_HEADER,
                                       .client = c,
                                       .user_data = c->user_data,
                                       .header_key = key,
                                       .header_value = value};
        c->handler(&evt);
    }
    return length;
}

int esp_http_client_get_status_code(esp_http_client_handle_t c)
{
    return c->resp->status;
}

int esp_http_client_read(esp_http_client_handle_t c, char *buffer, int len)
{
    size_t end = c->resp->cut_at != 0 ? c->resp->cut_at : c->resp->body_len;
    size_t n = end - c->pos;
    if ((size_t)len < n) {
        n = (size_t)len;
    }
    memcpy(buffer, c->resp->body + c->pos, n);
    c->pos += n;
    return (int)n;
}

bool esp_http_client_is_complete_data_received(esp_http_client_handle_t c)
{
    return c->pos == c->resp->body_len;
}

esp_err_t esp_http_client_set_redirection(esp_http_client_handle_t c)
{
    if (c->location[0] == '\0') {
        return ESP_ERR_INVALID_ARG;
    }
    snprintf(c->url, sizeof c->url, "%s", c->location);
    return ESP_OK;
}

esp_err_t esp_http_client_close(esp_http_client_handle_t c)
{
    (void)c;
    return ESP_OK;
}

esp_err_t esp_http_client_cleanup(esp_http_client_handle_t c)
{
    free(c);
    g_fake.clients--;
    return ESP_OK;
}

esp_err_t esp_http_client_get_and_clear_last_tls_error(esp_http_client_handle_t c, int *code, int *flags)
{
    (void)c;
    *code = 0;
    *flags = 0;
    return ESP_OK;
}

const char *esp_err_to_name(esp_err_t code)
{
    (void)code;
    return "ESP_ERR_(fake)";
}
