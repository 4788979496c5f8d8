/* The file:// source's walk beneath the sdcard root (open_beneath.c): symlinks inside and out,
 * walk semantics, and the sdcard swapped while a source opens (built into test_source_file). */
#include "test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "port/posix/open_beneath.h"
#include "source_file_fixture.h"

void test_symlinks(void **state)
{
    fixture_t *f = *state;
    /* outside the root: a file and a directory next to sdcard/ */
    char *outside = ts_path_join(f->dir, "secret.bin");
    ts_write_file(outside, "secret", 6);
    char *outside_dir = ts_path_join(f->dir, "private");
    assert_int_equal(mkdir(outside_dir, 0755), 0);
    char *outside_dir_file = ts_path_join(outside_dir, "key.bin");
    ts_write_file(outside_dir_file, "key", 3);

    char *link_file = ts_path_join(f->root, "link.bin");
    assert_int_equal(symlink("../secret.bin", link_file), 0);
    char *link_abs = ts_path_join(f->root, "abs.bin");
    assert_int_equal(symlink(outside, link_abs), 0);
    char *link_dir = ts_path_join(f->root, "dir");
    assert_int_equal(symlink(outside_dir, link_dir), 0);
    char *link_in = ts_path_join(f->root, "alias.bin");
    assert_int_equal(symlink("tone.bin", link_in), 0);
    char *loop = ts_path_join(f->root, "loop");
    assert_int_equal(symlink("loop", loop), 0);

    expect_open_error(f, "file://sdcard/link.bin", OTA_ERR_SRC_PATH_ESCAPE, "outside the sdcard root");
    expect_open_error(f, "file://sdcard/abs.bin", OTA_ERR_SRC_PATH_ESCAPE, "secret.bin");
    expect_open_error(f, "file://sdcard/dir/key.bin", OTA_ERR_SRC_PATH_ESCAPE, "private");
    expect_open_error(f, "file://sdcard/loop", OTA_ERR_SRC_PATH_ESCAPE, "loop");

    /* a symlink that stays inside is fine */
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_open(NULL, &f->cfg, "file://sdcard/alias.bin", 0, NULL, &src, NULL), OTA_OK);
    static uint8_t out[FILE_SIZE];
    assert_int_equal(ota_source_read_full(src, out, sizeof out), FILE_SIZE);
    assert_memory_equal(out, f->data, FILE_SIZE);
    ota_source_close(src);

    /* the root may itself be reached through a symlink */
    char *root_link = ts_path_join(f->dir, "sd-link");
    assert_int_equal(symlink(f->root, root_link), 0);
    ota_source_posix_config_t posix = {.sdcard_root = root_link};
    ota_source_config_t c = {.transport = &posix};
    assert_int_equal(ota_source_open(NULL, &c, "file://sdcard/tone.bin", 0, NULL, &src, NULL), OTA_OK);
    ota_source_close(src);
    assert_int_equal(ota_source_open(NULL, &c, "file://sdcard/link.bin", 0, NULL, &src, NULL),
                     OTA_ERR_SRC_PATH_ESCAPE);

    free(root_link);
    free(loop);
    free(link_in);
    free(link_dir);
    free(link_abs);
    free(link_file);
    free(outside_dir_file);
    free(outside_dir);
    free(outside);
}

void test_walk_semantics(void **state)
{
    fixture_t *f = *state;
    char *sub = ts_path_join(f->root, "sub");
    assert_int_equal(mkdir(sub, 0755), 0);
    char *subfile = ts_path_join(sub, "x.bin");
    ts_write_file(subfile, "x", 1);
    char *outside = ts_path_join(f->dir, "secret.bin");
    ts_write_file(outside, "s", 1);
    static const struct {
        const char *name, *target;
    } links[] = {
        {"alias.bin", "tone.bin"},       {"subl", "sub"},        {"up", "sub/../tone.bin"},
        {"out.bin", "../secret.bin"},    {"abs", "/etc/passwd"}, {"loop", "loop"},
        {"sub/back.bin", "../tone.bin"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        char *l = ts_path_join(f->root, links[i].name);
        assert_int_equal(symlink(links[i].target, l), 0);
        free(l);
    }
    int root_fd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(root_fd >= 0);
    static const struct {
        const char *rel;
        int want; /* 0: opens, else -errno */
    } cases[] = {
        {"tone.bin", 0},
        {"./tone.bin", 0},
        {"alias.bin", 0},
        {"subl/x.bin", 0},
        {"up", 0},
        {"sub/../tone.bin", 0},
        {"sub/back.bin", 0},
        {"subl/../tone.bin", 0},
        {"../sdcard/tone.bin", -EXDEV},
        {"out.bin", -EXDEV},
        {"abs", -EXDEV},
        {"loop", -ELOOP},
        {"sub/../../secret.bin", -EXDEV},
        {"missing", -ENOENT},
        {"tone.bin/x", -ENOTDIR},
    };
    for (int use_openat2 = 0; use_openat2 <= 1; use_openat2++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            int fd = ota_posix_open_beneath(root_fd, cases[i].rel, O_RDONLY | O_CLOEXEC, use_openat2 != 0);
            if (fd >= 0) {
                close(fd);
                fd = 0;
            }
            if (fd != cases[i].want) {
                fail_msg("%s (openat2 %d): got %d, want %d", cases[i].rel, use_openat2, fd, cases[i].want);
            }
        }
    }
    close(root_fd);
    free(outside);
    free(subfile);
    free(sub);
}

/* A swapper that keeps exchanging a real directory inside the root with a symlink to a directory
 * outside it (renameat2 RENAME_EXCHANGE, atomic), so every name on the path may change between any
 * two steps of a resolution. */
typedef struct {
    const char *a, *b;
    atomic_bool stop;
    atomic_ulong swaps;
} swapper_t;

static void *swapper_main(void *arg)
{
    swapper_t *s = arg;
    while (!atomic_load(&s->stop)) {
        if (renameat2(AT_FDCWD, s->a, AT_FDCWD, s->b, RENAME_EXCHANGE) == 0) {
            atomic_fetch_add(&s->swaps, 1);
        }
    }
    return NULL;
}

#define RACE_OPENS 2000

void test_sdcard_swap_race(void **state)
{
    fixture_t *f = *state;
    /* inside: sdcard/d/a/b/c/f.bin = 'I' bytes; outside: private/a/b/c/f.bin = 'S' bytes (the
     * secret). The depth below the swapped name widens the window between a check and an open. */
    char *inside_dir = ts_path_join(f->root, "d");
    char *outside_dir = ts_path_join(f->dir, "private");
    char sub[PATH_MAX];
    static const char *const depth[] = {"", "/a", "/a/b", "/a/b/c"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(sub, sizeof sub, "%s%s", inside_dir, depth[i]);
        assert_int_equal(mkdir(sub, 0755), 0);
        snprintf(sub, sizeof sub, "%s%s", outside_dir, depth[i]);
        assert_int_equal(mkdir(sub, 0755), 0);
    }
    uint8_t inside[512], secret[512];
    memset(inside, 'I', sizeof inside);
    memset(secret, 'S', sizeof secret);
    snprintf(sub, sizeof sub, "%s/a/b/c/f.bin", inside_dir);
    ts_write_file(sub, inside, sizeof inside);
    snprintf(sub, sizeof sub, "%s/a/b/c/f.bin", outside_dir);
    ts_write_file(sub, secret, sizeof secret);
    char *link = ts_path_join(f->root, "s");
    assert_int_equal(symlink(outside_dir, link), 0);

    swapper_t sw = {.a = inside_dir, .b = link};
    atomic_init(&sw.stop, false);
    atomic_init(&sw.swaps, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, swapper_main, &sw), 0);

    ota_log_level_t level = ota_log_get_level();
    ota_log_set_level(OTA_LOG_NONE); /* hundreds of expected refusals */
    int ok = 0, refused = 0, leaked = 0;
    for (int i = 0; i < RACE_OPENS; i++) {
        ota_source_t *src = NULL;
        int err = ota_source_open(NULL, &f->cfg, "file://sdcard/d/a/b/c/f.bin", 0, NULL, &src, NULL);
        if (err == OTA_OK) {
            uint8_t buf[sizeof inside];
            assert_int_equal(ota_source_read_full(src, buf, sizeof buf), (long)sizeof buf);
            ota_source_close(src);
            if (memcmp(buf, inside, sizeof buf) != 0) {
                leaked++;
            } else {
                ok++;
            }
        } else {
            /* the name is a symlink out of the root at that moment, or briefly missing */
            if (err != OTA_ERR_SRC_PATH_ESCAPE && err != OTA_ERR_SRC_FILE_NOT_FOUND) {
                fail_msg("open %d: unexpected %s", i, ota_err_name(err));
            }
            refused++;
        }
    }

    /* the descriptor walk (the fallback where openat2 is missing) under the same swapper */
    int root_fd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(root_fd >= 0);
    int walk_ok = 0, walk_refused = 0, walk_leaked = 0;
    for (int i = 0; i < RACE_OPENS; i++) {
        int fd = ota_posix_open_beneath(root_fd, "d/a/b/c/f.bin", O_RDONLY | O_CLOEXEC, false);
        if (fd < 0) {
            if (fd != -EXDEV && fd != -ENOENT && fd != -ELOOP) {
                fail_msg("walk %d: unexpected errno %d", i, -fd);
            }
            walk_refused++;
            continue;
        }
        uint8_t buf[sizeof inside];
        assert_int_equal(read(fd, buf, sizeof buf), (ssize_t)sizeof buf);
        close(fd);
        if (memcmp(buf, inside, sizeof buf) != 0) {
            walk_leaked++;
        } else {
            walk_ok++;
        }
    }
    close(root_fd);
    ota_log_set_level(level);
    atomic_store(&sw.stop, true);
    assert_int_equal(pthread_join(th, NULL), 0);
    print_message("swap race: %d opens, %d read the inside file, %d refused, %d read the outside file, "
                  "%lu swaps\n",
                  RACE_OPENS, ok, refused, leaked, (unsigned long)atomic_load(&sw.swaps));
    print_message("swap race (walk): %d opens, %d inside, %d refused, %d outside\n", RACE_OPENS, walk_ok,
                  walk_refused, walk_leaked);
    assert_int_equal(leaked, 0);
    assert_int_equal(walk_leaked, 0);
    /* How many opens meet the real directory depends on the scheduler (a loaded machine may run the
     * swapper rarely): legitimate opens are checked deterministically below, once it stopped. */
    assert_true(atomic_load(&sw.swaps) > 0);

    /* with the swapper stopped, the legitimate path works again and the link is still refused */
    struct stat st;
    assert_int_equal(lstat(inside_dir, &st), 0);
    bool d_is_dir = S_ISDIR(st.st_mode);
    const char *real_name = d_is_dir ? "file://sdcard/d/a/b/c/f.bin" : "file://sdcard/s/a/b/c/f.bin";
    const char *link_name = d_is_dir ? "file://sdcard/s/a/b/c/f.bin" : "file://sdcard/d/a/b/c/f.bin";
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_open(NULL, &f->cfg, real_name, 0, NULL, &src, NULL), OTA_OK);
    uint8_t buf[sizeof inside];
    assert_int_equal(ota_source_read_full(src, buf, sizeof buf), (long)sizeof buf);
    assert_memory_equal(buf, inside, sizeof buf);
    ota_source_close(src);
    expect_open_error(f, link_name, OTA_ERR_SRC_PATH_ESCAPE, "outside the sdcard root");
    root_fd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(root_fd >= 0);
    int fd =
        ota_posix_open_beneath(root_fd, real_name + strlen("file://sdcard/"), O_RDONLY | O_CLOEXEC, false);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof buf), (ssize_t)sizeof buf);
    assert_memory_equal(buf, inside, sizeof buf);
    close(fd);
    assert_int_equal(ota_posix_open_beneath(root_fd, link_name + strlen("file://sdcard/"), O_RDONLY, false),
                     -EXDEV);
    close(root_fd);

    free(link);
    free(outside_dir);
    free(inside_dir);
}
