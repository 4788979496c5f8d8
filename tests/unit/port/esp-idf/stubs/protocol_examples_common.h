/* Stand-in for ESP-IDF v6.0.2's examples/common_components/protocol_examples_common/include/
 * protocol_examples_common.h, which is not among the headers in ../shared/esp-idf: only the one
 * declaration the example calls, with the signature it has there (line 101 of that header):
 * esp_err_t example_connect(void). On a real build the component's own header is used. */
#pragma once
#include "esp_err.h"
#include "esp_netif.h"

esp_err_t example_connect(void);
