/**
 * @file cli.h
 * @brief Helpers shared by the `ota` subcommands: exit codes, messages, parsing, output.
 *
 * Conventions every subcommand follows:
 *  - exit status: 0 success, 1 the operation failed (bad image, failed update, I/O),
 *    2 usage error (unknown option, missing argument, bad number);
 *  - results on stdout; errors on stderr as "ota: error: ..." (cli_error);
 *  - `--help` prints the command's usage on stdout and exits 0;
 *  - `--json` prints machine-readable results on stdout, each JSON document on one line (one
 *    document, or one per event for event streams; schemas in docs/json.md), logs then go to stderr;
 *    a command builds its result once through out.h, which renders it as JSON or as its text;
 *  - a progress bar only when stderr is a terminal and --json is off.
 */
#ifndef OTA_CLI_H
#define OTA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>

#include "port/posix/ota_crypto_keys.h"

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAIL = 1,
    CLI_EXIT_USAGE = 2,
};

/** "ota: error: <message>\n" on stderr. */
__attribute__((format(printf, 1, 2))) void cli_error(const char *fmt, ...);
/** "ota: warning: <message>\n" on stderr. */
__attribute__((format(printf, 1, 2))) void cli_warn(const char *fmt, ...);
/** Print "ota: error: <message>" and "Try 'ota <command> --help'." and return CLI_EXIT_USAGE. */
__attribute__((format(printf, 2, 3))) int cli_usage_error(const char *command, const char *fmt, ...);

/**
 * The usage error for what getopt_long returned as @p c ('?' unknown option, ':' missing value),
 * for commands that set `opterr = 0` and an optstring starting with ':'. Returns CLI_EXIT_USAGE.
 */
int cli_option_error(const char *command, int c, char **argv);

/* The long options every command spells the same way, for its getopt_long table. */
#define CLI_OPTION_JSON \
    { \
        "json", no_argument, NULL, 'j' \
    }
#define CLI_OPTION_HELP \
    { \
        "help", no_argument, NULL, 'h' \
    }
#define CLI_OPTIONS_END \
    { \
        NULL, 0, NULL, 0 \
    }

/**
 * A subcommand's argument parse: what every command does the same way (--help, --json, option
 * and operand-count errors), so that a command's own code handles only its own options.
 * Initialise with the name and usage: `cli_args_t a = {.command = "keys digest", .usage = digest_usage};`.
 */
typedef struct {
    const char *command;      /**< "keys digest": in errors and "Try 'ota keys digest --help'." */
    void (*usage)(FILE *out); /**< the command's usage; --help prints it on stdout */
    bool json;                /**< --json was given (a table with CLI_OPTION_JSON) */
    bool done;                /**< the parse ended the command (--help, usage error): return status */
    int status;               /**< the exit status then: CLI_EXIT_OK after --help, else CLI_EXIT_USAGE */
    bool started;             /**< internal: getopt reset for this argv */
} cli_args_t;

/**
 * getopt_long over a subcommand's argv (@p shortopts starts with ':' and has 'h'): starts over at
 * argv[1] on the first call, getopt's own messages off. Handles --json ('j'), -h/--help (usage on
 * stdout) and unknown options / missing values (cli_option_error). Returns the command's own
 * option characters, or -1 when the options end or the parse ended the command (a->done).
 */
int cli_getopt(cli_args_t *a, int argc, char **argv, const char *shortopts, const struct option *longopts);

/**
 * After cli_getopt: true when the command goes on with @p min to @p max operands (max < 0: no
 * limit) at argv[optind]. False when it ends: after --help or an option error (a->done), or with
 * the usage error @p missing (too few) or "too many arguments" printed; a->status is the exit status.
 */
bool cli_operands(cli_args_t *a, int argc, int min, int max, const char *missing);

/**
 * cli_getopt + cli_operands for a command with no options of its own: -h/--help, and --json when
 * @p json. True when the command goes on (operands at argv[optind]); else return a->status.
 */
bool cli_parse_plain(cli_args_t *a, int argc, char **argv, bool json, int min, int max, const char *missing);

/**
 * Parse a milliseconds option value (at least 1) for @p command's @p option ("--stall-timeout");
 * CLI_EXIT_OK, or the usage error printed and CLI_EXIT_USAGE.
 */
int cli_parse_ms(const char *command, const char *option, const char *text, uint32_t *out);
/**
 * Parse a count option value (0..1000) into a source setting: 0 becomes -1, the library's
 * "none" (its 0 means "default"). CLI_EXIT_OK or CLI_EXIT_USAGE as above.
 */
int cli_parse_count(const char *command, const char *option, const char *text, int *out);

/** getenv() as a lookup callback (CSV $VAR expansion of ota_partition_csv_options_t). */
const char *cli_env_lookup(void *ctx, const char *name);

/**
 * Parse a size: decimal, 0x-hex, with optional suffix K/KB/KiB (x1024) or M/MB/MiB (x1048576),
 * case-insensitive ("4MB", "1M", "0x400000", "64K"). Returns false on anything else.
 */
bool cli_parse_size(const char *text, uint64_t *out);
/** Parse an unsigned integer (decimal or 0x-hex) no larger than @p max. */
bool cli_parse_uint(const char *text, uint64_t max, uint64_t *out);

/**
 * Route library logs: to @p stream (stdout or stderr), level INFO, or DEBUG with @p verbose,
 * ERROR only with @p quiet. Colour when the stream is a terminal.
 */
void cli_setup_log(FILE *stream, bool verbose, bool quiet);

/** Read a whole file into a malloc'ed buffer (caller frees). Prints the error itself. */
int cli_read_file(const char *path, uint8_t **data, size_t *len);
/** Write a buffer to a file (created/truncated). Prints the error itself. */
int cli_write_file(const char *path, const void *data, size_t len);

/**
 * Load a PEM signing or encryption key file (private or public; the file's bytes are wiped after
 * parsing). Prints the error itself ("PATH: reason").
 */
int cli_load_key(const char *path, ota_key_t **key);
/** The Secure Boot V2 public key digest of @p key: what eFuse KEY_DIGESTn holds for it. */
int cli_key_digest(const ota_key_t *key, uint8_t out[32]);

/* JSON and text output: out.h, the output layer every command builds its result through. */

/** Lowercase hex of @p len bytes into @p out (2*len+1 bytes). */
void cli_hex(const uint8_t *data, size_t len, char *out);

/** Progress bar on stderr, redrawn at most 10 times a second, only on a terminal. */
typedef struct {
    bool enabled;
    uint64_t last_draw_ms;
    const char *label;
} cli_progress_t;

void cli_progress_init(cli_progress_t *p, const char *label, bool allowed);
void cli_progress_update(cli_progress_t *p, uint64_t done, int64_t total);
/** Erase the bar line (call before printing anything else on stderr/stdout). */
void cli_progress_finish(cli_progress_t *p);

/** A subcommand: argv[0] is the subcommand's own name. */
typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command_t;

/**
 * Run the subcommand named argv[1] of @p group ("ota partition list ..." -> argv = {"partition",
 * "list", ...}); prints the group's help for --help/-h or no argument.
 */
int cli_dispatch(const char *group, const cli_command_t *commands, size_t count, int argc, char **argv);

#endif /* OTA_CLI_H */
