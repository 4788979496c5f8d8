/* Race-free open below a directory: openat2(RESOLVE_BENEATH), or a walk by descriptors. */
#include "port/posix/open_beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux's own limits: MAXSYMLINKS (40) links per resolution; the walk keeps one descriptor per
 * directory level, so its depth is bounded too. */
#define WALK_MAX_LINKS 40
#define WALK_MAX_DEPTH 128

static int open_beneath_openat2(int dir_fd, const char *rel, int flags)
{
#ifdef SYS_openat2
    /* RESOLVE_NO_MAGICLINKS: /proc/self/fd/N style links would jump anywhere. */
    struct open_how how = {
        .flags = (unsigned long long)flags,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, dir_fd, rel, &how, sizeof how);
    return fd >= 0 ? (int)fd : -errno;
#else
    (void)dir_fd;
    (void)rel;
    (void)flags;
    return -ENOSYS;
#endif
}

typedef struct {
    int fds[WALK_MAX_DEPTH]; /* directories below dir_fd, each opened O_PATH|O_NOFOLLOW */
    int depth;
    int base;
} walk_t;

static int walk_cur(const walk_t *w)
{
    return w->depth > 0 ? w->fds[w->depth - 1] : w->base;
}

static void walk_release(walk_t *w)
{
    while (w->depth > 0) {
        close(w->fds[--w->depth]);
    }
}

/*
 * The remaining path lives in todo[]; a symlink's target replaces its component in front of the
 * rest. Every step opens exactly one name in a directory the walk already holds, without following
 * it, so a rename elsewhere cannot redirect it: the directories held stay the ones checked.
 */
static int open_beneath_walk(int dir_fd, const char *rel, int flags)
{
    char todo[PATH_MAX];
    size_t len = strlen(rel);
    if (len >= sizeof todo) {
        return -ENAMETOOLONG;
    }
    memcpy(todo, rel, len + 1);
    if (todo[0] == '/') {
        return -EXDEV;
    }
    walk_t w = {.depth = 0, .base = dir_fd};
    int links = 0;
    char *p = todo;
    for (;;) {
        while (*p == '/') {
            p++;
        }
        if (*p == '\0') {
            /* "" or a trailing '/': the directory itself (the caller refuses directories) */
            int fd = openat(walk_cur(&w), ".", flags | O_NOFOLLOW);
            int err = fd >= 0 ? 0 : -errno;
            walk_release(&w);
            return fd >= 0 ? fd : err;
        }
        char *end = strchr(p, '/');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        char name[NAME_MAX + 1];
        if (n > NAME_MAX) {
            walk_release(&w);
            return -ENAMETOOLONG;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        p += n;
        bool last = true;
        for (const char *q = p; *q != '\0'; q++) {
            if (*q != '/') {
                last = false;
                break;
            }
        }
        if (strcmp(name, ".") == 0) {
            continue;
        }
        if (strcmp(name, "..") == 0) {
            if (w.depth == 0) {
                walk_release(&w);
                return -EXDEV;
            }
            close(w.fds[--w.depth]);
            continue;
        }
        int fd = openat(walk_cur(&w), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            int err = -errno;
            walk_release(&w);
            return err;
        }
        struct stat st;
        if (fstat(fd, &st) != 0) {
            int err = -errno;
            close(fd);
            walk_release(&w);
            return err;
        }
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t tn = readlinkat(fd, "", target, sizeof target);
            int err = tn < 0 ? -errno : 0;
            close(fd);
            if (err == 0 && ++links > WALK_MAX_LINKS) {
                err = -ELOOP;
            }
            if (err == 0 && ((size_t)tn >= sizeof target || tn == 0)) {
                err = tn == 0 ? -ENOENT : -ENAMETOOLONG;
            }
            if (err == 0 && target[0] == '/') {
                err = -EXDEV; /* an absolute link leaves the directory by definition */
            }
            size_t rest = strlen(p);
            if (err == 0 && (size_t)tn + 1 + rest >= sizeof todo) {
                err = -ENAMETOOLONG;
            }
            if (err != 0) {
                walk_release(&w);
                return err;
            }
            /* todo = target + "/" + rest, built in place from the back (rest may overlap) */
            memmove(todo + tn + 1, p, rest + 1);
            memcpy(todo, target, (size_t)tn);
            todo[tn] = '/';
            p = todo;
            continue;
        }
        if (last) {
            close(fd);
            /* Opened by name again in the directory held: O_NOFOLLOW makes a symlink swapped in
             * meanwhile fail (ELOOP) instead of being followed. */
            int out = openat(walk_cur(&w), name, flags | O_NOFOLLOW);
            int err = out >= 0 ? 0 : -errno;
            walk_release(&w);
            return out >= 0 ? out : err;
        }
        if (!S_ISDIR(st.st_mode)) {
            close(fd);
            walk_release(&w);
            return -ENOTDIR;
        }
        if (w.depth == WALK_MAX_DEPTH) {
            close(fd);
            walk_release(&w);
            return -ENAMETOOLONG;
        }
        w.fds[w.depth++] = fd;
    }
}

int ota_posix_open_beneath(int dir_fd, const char *rel, int flags, bool use_openat2)
{
    if (use_openat2) {
        int fd = open_beneath_openat2(dir_fd, rel, flags);
        if (fd != -ENOSYS) {
            return fd;
        }
    }
    return open_beneath_walk(dir_fd, rel, flags);
}
