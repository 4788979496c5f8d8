/* `ota tone info|make`: inspect, extract and build ESP-ADF tone partition images (ota_tone.h). */
#include "cli.h"
#include "commands.h"
#include "ota/ota_tone.h"
#include "tone_cli.h"

const char *tone_type_name(unsigned type)
{
    return type == OTA_TONE_FILE_MP3 ? "mp3" : type == OTA_TONE_FILE_WAV ? "wav" : "?";
}

int cmd_tone(int argc, char **argv)
{
    static const cli_command_t commands[] = {
        {"info", cmd_tone_info, "check and describe a tone image; --extract its files"},
        {"make", cmd_tone_make, "pack .mp3/.wav files into a tone image like mk_audio_tone.py"},
    };
    return cli_dispatch("tone", commands, sizeof commands / sizeof commands[0], argc, argv);
}
