/* STUB: `ota run` is not implemented yet; its owner replaces this file. */
#include "cli.h"
#include "commands.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'ota run' is not implemented yet");
    return CLI_EXIT_FAIL;
}
