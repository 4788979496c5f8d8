/* STUB: `ota partition` is not implemented yet; its owner replaces this file. */
#include "cli.h"
#include "commands.h"

int cmd_partition(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'ota partition' is not implemented yet");
    return CLI_EXIT_FAIL;
}
