/* The scripted esp_http_client of fake_esp_http_client.c: what each request gets, what it sent. */
#ifndef FAKE_ESP_HTTP_CLIENT_H
#define FAKE_ESP_HTTP_CLIENT_H

#include <stddef.h>

#include "esp_http_client.h"

#define FAKE_MAX         8
#define FAKE_MAX_HEADERS 8

typedef struct {
    int status;
    const char *headers[FAKE_MAX_HEADERS]; /* "Name: value", NULL-terminated */
    const char *body;
    size_t body_len;
    size_t cut_at; /* the peer closes after this many body bytes; 0: never */
} fake_response_t;

typedef struct {
    char url[256];
    char range[64];     /* the Range header sent, "" if none */
    char if_range[160]; /* the If-Range header sent, "" if none */
} fake_request_t;

typedef struct {
    fake_response_t response[FAKE_MAX]; /* the answer to request i */
    int count;
    fake_request_t request[FAKE_MAX];
    int requests;
    int clients; /* handles alive */
} fake_http_t;

extern fake_http_t g_fake;

void fake_http_reset(void);

#endif
