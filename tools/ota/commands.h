/**
 * @file commands.h
 * @brief Entry points of the `ota` subcommands, one file each (cmd_<name>.c).
 * argv[0] is the command's own name; return an exit status (cli.h).
 */
#ifndef OTA_COMMANDS_H
#define OTA_COMMANDS_H

int cmd_flash(int argc, char **argv); /* cmd_flash.c:     flash create */
int cmd_partition(
    int argc,
    char **argv); /* cmd_partition.c: partition list|convert|read|write (read|write: cmd_partition_rw.c) */
int cmd_image(int argc, char **argv);    /* cmd_image.c:     image info|make */
int cmd_tone(int argc, char **argv);     /* cmd_tone.c:      tone info|make */
int cmd_info(int argc, char **argv);     /* cmd_info.c:      info */
int cmd_boot(int argc, char **argv);     /* cmd_boot.c:      boot */
int cmd_set_boot(int argc, char **argv); /* cmd_otadata.c:   set-boot */
int cmd_confirm(int argc, char **argv);  /* cmd_otadata.c:   confirm */
int cmd_rollback(int argc, char **argv); /* cmd_boot.c:      rollback */
int cmd_fetch(int argc, char **argv);    /* cmd_fetch.c:     fetch */
int cmd_run(int argc, char **argv);      /* cmd_run.c:       run */
int cmd_keys(int argc, char **argv);     /* cmd_keys.c:      keys generate|digest|extract-public */
int cmd_efuse(int argc,
              char **argv); /* cmd_security.c:  efuse burn-key-digest|revoke-key|enable-secure-boot */
int cmd_config(int argc, char **argv); /* cmd_security.c:  config set */
int cmd_delta(int argc, char **argv);  /* cmd_delta.c:     delta make|apply|info */
/* cmd_release.c: release make|sign|info|verify (sign: release_sig.c, info|verify: release_check.c) */
int cmd_release(int argc, char **argv);

#endif /* OTA_COMMANDS_H */
