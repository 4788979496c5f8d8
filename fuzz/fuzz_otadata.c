/*
 * otadata (esp_ota_select_entry_t x 2): the decoders and the bootloader's selection rules on any
 * two entries, with a slot count from the input (1..16 OTA slots, and the degenerate 0).
 * Properties: decode/encode is lossless; the active entry is a valid one; a made entry has a
 * good CRC. (The sequence arithmetic near 0xFFFFFFFF is exercised here for memory safety only;
 * its rules are issue 10's "otadata sequence edges", tested with the writer.)
 */
#include "fuzz.h"

#include "ota/ota_otadata.h"

OTA_FUZZ_QUIET_INIT

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t raw[2][OTA_OTADATA_ENTRY_SIZE];
    if (size < 1) {
        return 0;
    }
    uint32_t slots = data[0] % 17u; /* 0..16 */
    data++;
    size--;
    memset(raw, 0xFF, sizeof raw); /* missing bytes read as erased flash */
    memcpy(raw, data, size < sizeof raw ? size : sizeof raw);

    ota_otadata_entry_t e[2];
    bool valid[2];
    char name[12];
    for (int i = 0; i < 2; i++) {
        ota_otadata_entry_decode(raw[i], &e[i]);
        uint8_t back[OTA_OTADATA_ENTRY_SIZE];
        ota_otadata_entry_encode(&e[i], back);
        OTA_FUZZ_CHECK(memcmp(back, raw[i], sizeof back) == 0);
        valid[i] = ota_otadata_entry_is_valid(&e[i]);
        (void)ota_otadata_entry_is_invalid(&e[i]);
        (void)ota_otadata_entry_is_initial(&e[i]);
        (void)ota_otadata_entry_crc_ok(&e[i]);
        OTA_FUZZ_CHECK(ota_otadata_state_name(e[i].ota_state, name) != NULL);
    }
    int active = ota_otadata_active(e);
    OTA_FUZZ_CHECK(active == -1 || (active >= 0 && active < 2 && valid[active]));
    (void)ota_otadata_select(e, valid, false);
    if (slots > 0 && active >= 0) {
        uint32_t cur = e[active].ota_seq;
        (void)ota_otadata_slot(cur, slots);
        for (uint32_t s = 0; s < slots; s++) {
            (void)ota_otadata_seq_for_slot(cur, s, slots);
        }
    }
    ota_otadata_entry_t made;
    ota_otadata_entry_make(&made, e[0].ota_seq, e[1].ota_state);
    OTA_FUZZ_CHECK(ota_otadata_entry_crc_ok(&made));
    return 0;
}
