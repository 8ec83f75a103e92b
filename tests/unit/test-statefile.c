/* SPDX-License-Identifier: MIT */
/*
 * test-statefile.c - the agent's state files in the key directory, read
 * through agent/statefile.c, without root: revoked.list (revfile.c) and
 * logins.list (loginfile.c) saved and loaded back, and each way a file is
 * refused (open to others, empty, a bad line, another boot) with its
 * outcome and message.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loginfile.h"
#include "revfile.h"

#define T0 INT64_C(1700000000)

static int setup(void **state)
{
        (void)state;
        return sodium_init() < 0 ? -1 : 0;
}

static int count_cut(uint32_t uid, const char *role, int64_t before, int64_t until, void *arg)
{
        (void)uid;
        (void)role;
        (void)before;
        (void)until;
        ++*(int *)arg;
        return 0;
}

/* write_file() - @path holding @text, with @mode whatever the umask. */
static void write_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        assert_true(fd >= 0);
        assert_int_equal(fchmod(fd, mode), 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        assert_int_equal(close(fd), 0);
}

/*
 * The set survives a save and a load (revoked.list, as after a restart);
 * what has expired by then is left out both ways, and a list that is not
 * ours or not private is refused with a message naming the file.
 */
static void test_revfile(void **state)
{
        RevocationSet *rev = NULL, *back = NULL;
        char dir[] = "/tmp/test-revocations-XXXXXX", path[64];
        TokenClaims web = {
                .akid = (char *)"ASIAOTHER", .role = (char *)"web", .uid = 1, .issued = T0
        };
        char *err = NULL;
        int n_cuts = 0;
        struct stat st;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/%s", dir, REVFILE_NAME);
        assert_int_equal(revocation_new(&rev), 0);
        assert_int_equal(revocation_add(rev, "ASIALIVE", T0 + 100), 0);
        assert_int_equal(revocation_add(rev, "ASIAGONE", T0 + 10), 0);
        assert_int_equal(revocation_cut(rev, 1, "web", T0 + 5, T0 + 100), 0);
        assert_int_equal(revocation_cut(rev, 2, "", T0 + 5, T0 + 100), 0);

        /* No file yet: an empty list. */
        assert_int_equal(revocation_new(&back), 0);
        assert_int_equal(revfile_load(dir, back, T0, &err), 0);
        assert_null(err);
        assert_int_equal(revocation_count(back), 0);

        assert_int_equal(revfile_save(dir, rev, T0 + 20, &err), 0);
        assert_null(err);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(revfile_load(dir, back, T0 + 20, &err), 0);
        assert_null(err);
        assert_int_equal(revocation_count(back), 1);
        assert_true(revocation_contains(back, "ASIALIVE", T0 + 20));
        assert_false(revocation_contains(back, "ASIAGONE", T0));
        assert_true(revocation_revokes(back, &web, T0 + 20));
        web.uid = 2;
        web.role = (char *)"db";
        assert_true(revocation_revokes(back, &web, T0 + 20));
        assert_int_equal(revocation_foreach_cut(back, count_cut, &n_cuts), 0);
        assert_int_equal(n_cuts, 2);
        back = revocation_free(back);

        /* Loaded later, everything has expired. */
        assert_int_equal(revocation_new(&back), 0);
        assert_int_equal(revfile_load(dir, back, T0 + 100, &err), 0);
        assert_int_equal(revocation_count(back), 0);
        web.issued = T0;
        assert_false(revocation_revokes(back, &web, T0 + 100));

        /* Readable by others: refused. */
        assert_int_equal(chmod(path, 0644), 0);
        assert_int_equal(revfile_load(dir, back, T0, &err), REVFILE_E_INSECURE);
        assert_non_null(err);
        assert_non_null(strstr(err, REVFILE_NAME));
        free(err);
        err = NULL;

        /* Not a list roled wrote: refused, naming the line. */
        write_file(path, "roled-revoked 2\nASIALIVE 1700000100\nnot a line\n", 0600);
        assert_int_equal(revfile_load(dir, back, T0, &err), REVFILE_E_CORRUPT);
        assert_non_null(strstr(err, ":3: not a revocation list written by roled"));
        free(err);
        err = NULL;
        write_file(path, "", 0600);
        assert_int_equal(revfile_load(dir, back, T0, &err), REVFILE_E_CORRUPT);
        free(err);
        err = NULL;
        /* A version 1 list (ids only) still loads. */
        write_file(path, "roled-revoked 1\nASIAOLD 1700000100\n", 0600);
        assert_int_equal(revfile_load(dir, back, T0, &err), 0);
        assert_true(revocation_contains(back, "ASIAOLD", T0));

        revocation_free(back);
        revocation_free(rev);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

/* load() - loginfile_load() of @dir into a fresh registry; its outcome, and the message in @msg. */
static int load(const char *dir, size_t *np, char msg[256])
{
        Logins *l = NULL;
        char *err = NULL;
        int r;

        assert_int_equal(logins_new(&l), 0);
        r = loginfile_load(dir, l, &err);
        snprintf(msg, 256, "%s", err ? err : "");
        free(err);
        *np = logins_count(l);
        logins_free(l);
        return r;
}

/*
 * logins.list (loginfile.c through statefile.c), without root: saved and
 * loaded back; missing, empty, corrupt, written during another boot, or open
 * to others, each with its outcome and message.
 */
static void test_loginfile(void **state)
{
        Logins *l = NULL;
        char dir[] = "/tmp/test-logins-XXXXXX", path[64], id[LOGINS_ID_LEN + 1], msg[256];
        char *err = NULL, *text = NULL;
        size_t n = 99;
        FILE *f;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/%s", dir, LOGINFILE_NAME);
        assert_int_equal(load(dir, &n, msg), 0);
        assert_int_equal(n, 0);

        assert_int_equal(logins_new(&l), 0);
        assert_int_equal(logins_open(l, 5, 21, 50, id), 0);
        assert_int_equal(logins_open(l, 6, 22, 60, id), 0);
        assert_int_equal(loginfile_save(dir, l, &err), 0);
        assert_null(err);
        logins_free(l);
        assert_int_equal(load(dir, &n, msg), 0);
        assert_int_equal(n, 2);

        /* The saved header, kept for the other-boot case below. */
        f = fopen(path, "re");
        assert_non_null(f);
        assert_int_equal(getline(&text, &(size_t){ 0 }, f) > 0, 1);
        fclose(f);

        write_file(path, "", 0600);
        assert_int_equal(load(dir, &n, msg), LOGINFILE_E_CORRUPT);
        assert_non_null(strstr(msg, "logins.list:0: not a login list written by roled"));
        write_file(path, "roled-logins 1 x\n", 0600);
        assert_int_equal(load(dir, &n, msg), LOGINFILE_E_OTHER_BOOT);
        assert_non_null(strstr(msg, "logins.list was written during another boot"));
        write_file(path, "not a header\n", 0600);
        assert_int_equal(load(dir, &n, msg), LOGINFILE_E_CORRUPT);
        assert_non_null(strstr(msg, "logins.list:1: not a login list written by roled"));
        {
                char body[512];

                snprintf(body, sizeof(body), "%sgarbage\n", text);
                write_file(path, body, 0600);
                assert_int_equal(load(dir, &n, msg), LOGINFILE_E_CORRUPT);
                assert_non_null(strstr(msg, "logins.list:2: not a login list written by roled"));
                write_file(path, text, 0644);
                assert_int_equal(load(dir, &n, msg), LOGINFILE_E_INSECURE);
                assert_non_null(strstr(msg, "logins.list: not a regular file owned by uid"));
                write_file(path, text, 0600);
                assert_int_equal(load(dir, &n, msg), 0);
                assert_int_equal(n, 0);
        }
        free(text);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_revfile),
                cmocka_unit_test(test_loginfile),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
