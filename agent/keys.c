/* SPDX-License-Identifier: MIT */
/*
 * keys.c - key directory checks, key files, creation and rotation (see keys.h).
 *
 * All file access goes through a directory fd with O_NOFOLLOW, after the
 * directory itself was checked, so a key file cannot be swapped for a link
 * to somewhere else.  Key bytes are read into a stack buffer that is wiped
 * right after being copied into Secret memory.
 */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safefile.h"
#include "statefile.h"

#define SIGNING_FILE "signing.key"
#define HMAC_FILE "hmac.key"
#define RETIRED_FILE "retired.keys"
#define RETIRED_RECORD (8 + TOKEN_PUBLIC_KEY_SIZE)

struct Keys {
        char *dir;
        int dir_fd;
        Secret *sign; /* crypto_sign_SECRETKEYBYTES: seed || public key */
        Secret *hmac; /* KEYS_HMAC_SIZE */
        TokenPublicKey pub[1 + KEYS_RETIRED_MAX]; /* [0] is the current key */
        size_t n_pub;
};

Keys *keys_free(Keys *k)
{
        if (!k)
                return NULL;
        secret_free(k->sign);
        secret_free(k->hmac);
        safe_close(k->dir_fd);
        free(k->dir);
        free(k);
        return NULL;
}

/*
 * check_stat() - is @st (of @dir/@name, or @dir when @name is NULL) safe to trust?
 * Directories may be readable by others but not writable; key files must
 * have no group/other bits at all.
 */
static int check_stat(const struct stat *st, const char *dir, const char *name, char **errorp)
{
        const char *sep = name ? "/" : "";
        bool is_dir = name == NULL;
        uid_t uid = geteuid();
        const SafeFileRule rule = { .type = is_dir ? S_IFDIR : S_IFREG,
                                    .owner = uid,
                                    .forbidden = is_dir ? 0022 : 0077 };

        switch (safefile_check(st, &rule)) {
        case 0:
                return 0;
        case SAFEFILE_E_TYPE:
                statefile_error(errorp, "%s%s%s: not a %s", dir, sep, name ? name : "",
                                is_dir ? "directory" : "regular file");
                break;
        case SAFEFILE_E_OWNER:
                statefile_error(errorp, "%s%s%s: owned by uid %u, not by the agent's uid %u", dir,
                                sep, name ? name : "", (unsigned)st->st_uid, (unsigned)uid);
                break;
        default:
                statefile_error(errorp, "%s%s%s: mode %04o is %s", dir, sep, name ? name : "",
                                (unsigned)(st->st_mode & 07777),
                                is_dir ? "writable by group or others"
                                       : "accessible by group or others (want 0600)");
                break;
        }
        return KEYS_E_INSECURE;
}

static int open_dir(const char *dir, int *fdp, char **errorp)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                r = -errno;
                statefile_error(errorp, "%s: cannot create key directory: %s", dir, strerror(-r));
                return r;
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                r = -errno;
                statefile_error(errorp, "%s: %s", dir, strerror(-r));
                return r;
        }
        r = check_stat(&st, dir, NULL, errorp);
        if (r)
                return r;
        *fdp = steal_fd(&fd);
        return 0;
}

/*
 * read_key_file() - read @name in @k's directory into @buf (at most @size bytes).
 * Return: 0 (length in *@np), -ENOENT when missing, KEYS_E_INSECURE,
 * KEYS_E_CORRUPT (more than @size bytes) or -errno.
 */
static int read_key_file(const Keys *k, const char *name, uint8_t *buf, size_t size, size_t *np,
                         char **errorp)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t n = 0;
        int r;

        fd = openat(k->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                if (r != -ENOENT)
                        statefile_error(errorp, "%s/%s: %s", k->dir, name, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                statefile_error(errorp, "%s/%s: %s", k->dir, name, strerror(-r));
                return r;
        }
        r = check_stat(&st, k->dir, name, errorp);
        if (r)
                return r;
        r = safefile_read(fd, buf, size, &n);
        if (r == SAFEFILE_E_TOO_LARGE) {
                statefile_error(errorp, "%s/%s: longer than %zu bytes", k->dir, name, size);
                return KEYS_E_CORRUPT;
        }
        if (r < 0) {
                statefile_error(errorp, "%s/%s: %s", k->dir, name, strerror(-r));
                return r;
        }
        *np = n;
        return 0;
}

/* write_key_file() - atomically replace @name with @data: temp file (O_EXCL, 0600), fsync, rename.
 */
static int write_key_file(const Keys *k, const char *name, const void *data, size_t len,
                          char **errorp)
{
        char tmp[64];
        const uint8_t *p = data;
        _cleanup_close_ int fd = -1;
        int r;

        snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
        /* A leftover from a crash; the directory is ours alone, so removing it is safe. */
        if (unlinkat(k->dir_fd, tmp, 0) < 0 && errno != ENOENT) {
                r = -errno;
                goto fail;
        }
        fd = openat(k->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                goto fail;
        }
        while (len > 0) {
                ssize_t l = write(fd, p, len);

                if (l < 0 && errno == EINTR)
                        continue;
                if (l < 0) {
                        r = -errno;
                        goto fail_unlink;
                }
                p += l;
                len -= (size_t)l;
        }
        if (fsync(fd) < 0) {
                r = -errno;
                goto fail_unlink;
        }
        fd = safe_close(fd);
        if (renameat(k->dir_fd, tmp, k->dir_fd, name) < 0) {
                r = -errno;
                goto fail_unlink;
        }
        if (fsync(k->dir_fd) < 0) {
                r = -errno;
                goto fail;
        }
        return 0;
fail_unlink:
        (void)unlinkat(k->dir_fd, tmp, 0);
fail:
        statefile_error(errorp, "%s/%s: cannot write: %s", k->dir, name, strerror(-r));
        return r;
}

/* load_secret() - load a 32-byte key file into a new Secret of @secret_size, creating it if
 * missing. */
static int load_secret(const Keys *k, const char *name, size_t secret_size, Secret **sp,
                       char **errorp)
{
        _cleanup_(secret_freep) Secret *s = NULL;
        uint8_t buf[KEYS_SEED_SIZE];
        size_t n = 0;
        int r;

        r = secret_new(&s, secret_size);
        if (r < 0)
                return r;
        r = read_key_file(k, name, buf, sizeof(buf), &n, errorp);
        if (r == -ENOENT) {
                randombytes_buf(buf, sizeof(buf));
                n = sizeof(buf);
                r = write_key_file(k, name, buf, sizeof(buf), errorp);
        } else if (r == 0 && n != sizeof(buf)) {
                statefile_error(errorp, "%s/%s: %zu bytes, want %zu", k->dir, name, n, sizeof(buf));
                r = KEYS_E_CORRUPT;
        }
        if (r == 0)
                memcpy(s->data, buf, sizeof(buf));
        sodium_memzero(buf, sizeof(buf));
        if (r)
                return r;
        *sp = steal_pointer(&s);
        return 0;
}

/* set_current() - make @sign (taken) the current signing key and describe it in pub[0]. */
static void set_current(Keys *k, Secret *sign)
{
        TokenPublicKey *cur = &k->pub[0];

        memcpy(cur->pk, sign->data + crypto_sign_SECRETKEYBYTES - crypto_sign_PUBLICKEYBYTES,
               crypto_sign_PUBLICKEYBYTES);
        token_key_id(cur->pk, cur->id);
        cur->not_after = 0;
        k->sign = sign;
}

/* make_signing() - a signing Secret from @seed (which stays the caller's). */
static int make_signing(const uint8_t seed[KEYS_SEED_SIZE], Secret **sp)
{
        _cleanup_(secret_freep) Secret *s = NULL;
        uint8_t pk[crypto_sign_PUBLICKEYBYTES];
        int r;

        r = secret_new(&s, crypto_sign_SECRETKEYBYTES);
        if (r < 0)
                return r;
        if (crypto_sign_seed_keypair(pk, s->data, seed) != 0)
                return -EINVAL;
        *sp = steal_pointer(&s);
        return 0;
}

static int load_retired(Keys *k, int64_t now, char **errorp)
{
        uint8_t buf[KEYS_RETIRED_MAX * RETIRED_RECORD];
        size_t n = 0;
        int r;

        r = read_key_file(k, RETIRED_FILE, buf, sizeof(buf), &n, errorp);
        if (r == -ENOENT)
                return 0;
        if (r)
                return r;
        if (n % RETIRED_RECORD != 0) {
                statefile_error(errorp, "%s/%s: %zu bytes is not a whole number of records", k->dir,
                                RETIRED_FILE, n);
                return KEYS_E_CORRUPT;
        }
        for (size_t off = 0; off < n; off += RETIRED_RECORD) {
                TokenPublicKey *p = &k->pub[k->n_pub];
                uint64_t t = 0;

                for (int i = 0; i < 8; i++)
                        t = t << 8 | buf[off + (size_t)i];
                if (t > INT64_MAX) {
                        statefile_error(errorp, "%s/%s: bad not-after time", k->dir, RETIRED_FILE);
                        return KEYS_E_CORRUPT;
                }
                /* The current key appears here after a rotation that crashed half way. */
                if ((int64_t)t <= now ||
                    memcmp(buf + off + 8, k->pub[0].pk, TOKEN_PUBLIC_KEY_SIZE) == 0)
                        continue;
                memcpy(p->pk, buf + off + 8, TOKEN_PUBLIC_KEY_SIZE);
                token_key_id(p->pk, p->id);
                p->not_after = (int64_t)t;
                k->n_pub++;
        }
        return 0;
}

int keys_load(Keys **keysp, const char *dir, int64_t now, char **errorp)
{
        _cleanup_(keys_freep) Keys *k = NULL;
        Secret *seed = NULL, *sign = NULL;
        int r;

        k = calloc(1, sizeof(*k));
        if (!k)
                return -ENOMEM;
        k->dir_fd = -1;
        k->dir = strdup(dir);
        if (!k->dir)
                return -ENOMEM;
        r = open_dir(dir, &k->dir_fd, errorp);
        if (r)
                return r;
        r = load_secret(k, HMAC_FILE, KEYS_HMAC_SIZE, &k->hmac, errorp);
        if (r)
                return r;
        r = load_secret(k, SIGNING_FILE, KEYS_SEED_SIZE, &seed, errorp);
        if (r)
                return r;
        r = make_signing(seed->data, &sign);
        secret_free(seed);
        if (r)
                return r;
        set_current(k, sign);
        k->n_pub = 1;
        r = load_retired(k, now, errorp);
        if (r)
                return r;
        /* Keys never change in place; a stray write through a bug faults instead. */
        (void)secret_readonly(k->hmac);
        (void)secret_readonly(k->sign);
        *keysp = steal_pointer(&k);
        return 0;
}

void keys_prune(Keys *k, int64_t now)
{
        size_t j = 1;

        for (size_t i = 1; i < k->n_pub; i++)
                if (k->pub[i].not_after > now)
                        k->pub[j++] = k->pub[i];
        k->n_pub = j;
}

int keys_rotate(Keys *k, int64_t now, char **errorp)
{
        _cleanup_(secret_freep) Secret *sign = NULL;
        TokenPublicKey pub[1 + KEYS_RETIRED_MAX];
        uint8_t records[KEYS_RETIRED_MAX * RETIRED_RECORD];
        uint8_t seed[KEYS_SEED_SIZE];
        size_t n = 1;
        int r;

        pub[0] = k->pub[0];
        /* New list: new current (filled below), old current retired, live retired ones. */
        pub[n] = k->pub[0];
        pub[n++].not_after = now + KEYS_RETIRE_SECONDS;
        for (size_t i = 1; i < k->n_pub; i++) {
                if (k->pub[i].not_after <= now)
                        continue;
                if (n > KEYS_RETIRED_MAX) {
                        statefile_error(errorp, "%s: %d retired keys are still live; not rotating",
                                        k->dir, KEYS_RETIRED_MAX);
                        return KEYS_E_TOO_MANY;
                }
                pub[n++] = k->pub[i];
        }
        for (size_t i = 1; i < n; i++) {
                uint64_t t = (uint64_t)pub[i].not_after;
                uint8_t *rec = records + (i - 1) * RETIRED_RECORD;

                for (int b = 0; b < 8; b++)
                        rec[b] = (uint8_t)(t >> (56 - 8 * b));
                memcpy(rec + 8, pub[i].pk, TOKEN_PUBLIC_KEY_SIZE);
        }

        randombytes_buf(seed, sizeof(seed));
        r = make_signing(seed, &sign);
        if (r == 0)
                r = write_key_file(k, RETIRED_FILE, records, (n - 1) * RETIRED_RECORD, errorp);
        if (r == 0)
                r = write_key_file(k, SIGNING_FILE, seed, sizeof(seed), errorp);
        sodium_memzero(seed, sizeof(seed));
        if (r)
                return r;

        secret_free(k->sign);
        memcpy(k->pub, pub, n * sizeof(pub[0]));
        k->n_pub = n;
        set_current(k, steal_pointer(&sign));
        (void)secret_readonly(k->sign);
        return 0;
}

void keys_public(const Keys *k, const TokenPublicKey **keysp, size_t *np)
{
        *keysp = k->pub;
        *np = k->n_pub;
}

const uint8_t *keys_signing_sk(const Keys *k)
{
        return k->sign->data;
}

const uint8_t *keys_signing_id(const Keys *k)
{
        return k->pub[0].id;
}

const uint8_t *keys_hmac(const Keys *k)
{
        return k->hmac->data;
}
