/* STUB: device commands are not implemented yet; their owner replaces this file. */
#include "cli.h"
#include "commands.h"

static int not_yet(const char *name)
{
    cli_error("'ota %s' is not implemented yet", name);
    return CLI_EXIT_FAIL;
}

int cmd_info(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_boot(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_set_boot(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_confirm(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_rollback(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
