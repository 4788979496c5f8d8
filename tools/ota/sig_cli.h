/**
 * @file sig_cli.h
 * @brief Secure Boot V2 signature sectors as the CLI makes and checks them, shared by `ota image
 *        sign|verify-signature|info` (cmd_image_sign.c) and `ota release sign|info|verify`: the
 *        layout of espsecure sign_data --version 2 (the signed data padded with 0xFF to 4 KiB, then
 *        the 4096-byte sector).
 */
#ifndef OTA_CLI_SIG_CLI_H
#define OTA_CLI_SIG_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "out.h"
#include "ota/ota_sig_verify.h"

/**
 * Check the sector at data + @p signed_len over data[0..signed_len) as a device does, into @p rep
 * (@p trust NULL: each block with its own key). Returns ota_sig_verify_sector's result.
 */
int sig_check(const uint8_t *data, size_t signed_len, const ota_sig_trust_t *trust, ota_sig_report_t *rep);

/** @p err, or when it is OTA_OK the first block of @p rep that does not verify. */
int sig_verdict(int err, const ota_sig_report_t *rep);

/**
 * Sign data[0..padded) (a whole number of sectors) with each of the @p nkeys private key files:
 * their blocks go into the sector at data + @p padded after its first @p first blocks (which stay),
 * then the sector is checked the way a device will (@p rep). Every error is printed. OTA_OK when
 * every block verifies.
 */
int sig_sign(uint8_t *data, size_t padded, unsigned first, const char *const *keys, unsigned nkeys,
             ota_sig_report_t *rep);

/** The arguments of a signing command: `--keyfile KEY... [--append-signatures] [--json] IN OUT`. */
typedef struct {
    cli_args_t args;   /**< .command and .usage set by the caller; .json after the parse */
    bool allow_append; /**< the command takes --append-signatures (set by the caller) */
    bool append;
    const char *keys[OTA_SIG_MAX_BLOCKS];
    unsigned nkeys;
    const char *in, *out;
    uint8_t *data; /**< IN's bytes (the caller frees) */
    size_t len;
} sig_sign_args_t;

/**
 * Parse a signing command's arguments and read IN. False when the command ends there (--help, a
 * usage error, IN unreadable): return @p *rc.
 */
bool sig_sign_args(sig_sign_args_t *s, int argc, char **argv, int *rc);

/** The blocks of @p rep as docs/json.md's array {index, scheme, key_digest, valid, error}. */
out_t *sig_blocks_result(const ota_sig_report_t *rep);

#endif /* OTA_CLI_SIG_CLI_H */
