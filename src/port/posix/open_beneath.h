/**
 * @file open_beneath.h
 * @brief Open a file by a path that must not leave a directory, race-free (POSIX port, Linux).
 *
 * Checking a resolved path and then opening it are two steps: a directory on the path swapped for
 * a symlink in between lets the open leave the directory. Here the kernel resolves the path below
 * a directory descriptor (openat2 with RESOLVE_BENEATH); where openat2 does not exist (Linux before
 * 5.6, or a seccomp filter answering ENOSYS) the path is walked one component at a time through
 * O_PATH|O_NOFOLLOW descriptors, each symlink read and resolved by hand, never by the kernel.
 */
#ifndef OTA_PORT_POSIX_OPEN_BENEATH_H
#define OTA_PORT_POSIX_OPEN_BENEATH_H

#include <stdbool.h>

/**
 * Open @p rel (relative; "." and ".." segments and symlinks allowed as long as they stay below)
 * below the directory @p dir_fd with open(2) @p flags (O_RDONLY, O_NONBLOCK, O_CLOEXEC...; no
 * O_CREAT). Returns a descriptor, or -errno: -EXDEV when the path leaves @p dir_fd (through "..",
 * an absolute symlink or a symlink pointing outside), -ELOOP for too many symlinks, else the error
 * of the failing step. @p use_openat2 false forces the component walk (tests use it).
 */
int ota_posix_open_beneath(int dir_fd, const char *rel, int flags, bool use_openat2);

#endif /* OTA_PORT_POSIX_OPEN_BENEATH_H */
