/* SPDX-License-Identifier: MIT */
/*
 * test-localfs.c - the devices the loop may touch files on
 * (agent/localfs.c): filesystem types, /proc never counts, and (as root, in
 * a mount namespace of its own) a tmpfs mounted after the table was read
 * counts once the kernel has flagged the change, and stops counting once
 * it is unmounted.
 */
#undef NDEBUG
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "localfs.h"

static void test_types(void **state)
{
        (void)state;
        assert_true(localfs_is_local_type("ext4"));
        assert_true(localfs_is_local_type("tmpfs"));
        assert_true(localfs_is_local_type("overlay"));
        assert_false(localfs_is_local_type("fuse"));
        assert_false(localfs_is_local_type("fuse.sshfs"));
        assert_false(localfs_is_local_type("nfs4"));
        assert_false(localfs_is_local_type("cifs"));
        assert_false(localfs_is_local_type("proc"));
        assert_false(localfs_is_local_type(""));
}

static void test_proc_is_not_local(void **state)
{
        uv_loop_t loop;
        LocalFs l = LOCALFS_INIT;
        struct stat st;

        (void)state;
        assert_int_equal(uv_loop_init(&loop), 0);
        assert_int_equal(localfs_open(&l, &loop), 0);
        assert_int_equal(stat("/proc/self/status", &st), 0);
        assert_false(localfs_has(&l, st.st_dev));
        localfs_close(&l);
        localfs_close(&l);
        assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
        assert_int_equal(uv_loop_close(&loop), 0);
}

static void never(uv_timer_t *t)
{
        (void)t;
}

/* In the child: mount a tmpfs after the table was read; the change is seen, and the unmount too. */
static int mount_child(void)
{
        char dir[] = "/tmp/test-localfs.XXXXXX";
        uv_loop_t loop;
        uv_timer_t keep;
        LocalFs l = LOCALFS_INIT;
        struct stat st;
        bool seen = false;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return 77;
        if (!mkdtemp(dir) || uv_loop_init(&loop) != 0 || localfs_open(&l, &loop) != 0)
                return 1;
        /* The agent's loop has other handles; the watch alone (unreferenced) would not keep it
         * polling. */
        uv_timer_init(&loop, &keep);
        uv_timer_start(&keep, never, 60000, 0);
        /* The loop starts watching in its first turn (the agent's serves no caller before that). */
        (void)uv_run(&loop, UV_RUN_NOWAIT);
        if (stat("/proc/self/status", &st) < 0 || localfs_has(&l, st.st_dev))
                return 2;
        if (mount("test-localfs", dir, "tmpfs", 0, "size=64k") < 0)
                return 77;
        if (stat(dir, &st) < 0)
                return 3;
        /* The loop hears of the change (POLLPRI on mountinfo) and the table is read again. */
        for (int i = 0; i < 100 && !seen; i++) {
                (void)uv_run(&loop, UV_RUN_NOWAIT);
                seen = localfs_has(&l, st.st_dev);
                if (!seen)
                        usleep(10000);
        }
        if (!seen)
                return 4;
        /* A second change is seen too (the watch is restarted after each). */
        if (umount(dir) < 0)
                return 5;
        for (int i = 0; i < 100 && seen; i++) {
                (void)uv_run(&loop, UV_RUN_NOWAIT);
                seen = localfs_has(&l, st.st_dev);
                if (seen)
                        usleep(10000);
        }
        rmdir(dir);
        if (seen)
                return 6;
        localfs_close(&l);
        uv_close((uv_handle_t *)&keep, NULL);
        (void)uv_run(&loop, UV_RUN_DEFAULT);
        return uv_loop_close(&loop) == 0 ? 0 : 7;
}

static void test_mount_seen(void **state)
{
        pid_t pid;
        int status;

        (void)state;
        if (geteuid() != 0)
                skip();
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(mount_child());
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                skip();
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_types),
                cmocka_unit_test(test_proc_is_not_local),
                cmocka_unit_test(test_mount_seen),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
