/* SPDX-License-Identifier: MIT */
/*
 * loginfile.c - logins.list in the key directory (see loginfile.h).  The file
 * is read through statefile.c: checked (regular, ours, no group/other bits)
 * before a byte of it is believed, and read one bounded line at a time.
 */
#include "loginfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "statefile.h"
#include "util.h"

#define HEADER "roled-logins 1 "
#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
#define BOOT_ID_MAX 64
/* id, uid, session, group start, open flag, four spaces, newline. */
#define LINE_MAX_LEN (LOGINS_ID_LEN + 10 + 10 + 20 + 1 + 4 + 1)

/* This boot's id (a UUID), or "-" where the kernel does not tell. */
static void boot_id(char id[BOOT_ID_MAX])
{
        _cleanup_fclose_ FILE *f = fopen(BOOT_ID_PATH, "re");

        if (!f || !fgets(id, BOOT_ID_MAX, f) || !id[0] || id[strcspn(id, "\n")] != '\n') {
                snprintf(id, BOOT_ID_MAX, "-");
                return;
        }
        id[strcspn(id, "\n")] = '\0';
        for (char *p = id; *p; p++)
                if (*p == ' ')
                        *p = '-';
}

static bool is_hex(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* One line into @l.  Return: 0, LOGINFILE_E_CORRUPT or -errno. */
static int parse_line(Logins *l, char *line)
{
        char id[LOGINS_ID_LEN + 1], nl;
        unsigned long long uid, session, start;
        unsigned is_open;
        int n = -1, r;

        if (sscanf(line, "%32s %llu %llu %llu %u%c%n", id, &uid, &session, &start, &is_open, &nl,
                   &n) != 6 ||
            n < 0 || line[n] != '\0' || nl != '\n' || strlen(id) != LOGINS_ID_LEN ||
            !is_hex(id, LOGINS_ID_LEN) || uid > UINT32_MAX || session > UINT32_MAX ||
            start > INT64_MAX || is_open > 1 || line[0] == ' ')
                return LOGINFILE_E_CORRUPT;
        r = logins_restore(l, id, (uint32_t)uid, (uint32_t)session, (int64_t)start, is_open);
        if (r == LOGINS_E_EXISTS || r == LOGINS_E_FULL || r == -EINVAL)
                return LOGINFILE_E_CORRUPT;
        return r;
}

/* Where load_line() puts the logins, and what it found. */
typedef struct LoadCtx {
        Logins *l;
        bool is_other_boot; /* the header names another boot */
} LoadCtx;

/* load_line() - the header or one login.  Return: 0, STATEFILE_E_CORRUPT or -errno. */
static int load_line(char *line, unsigned line_no, void *arg)
{
        LoadCtx *ctx = arg;
        char boot[BOOT_ID_MAX], header[sizeof(HEADER) + BOOT_ID_MAX + 1];

        if (line_no == 1) {
                if (strncmp(line, HEADER, strlen(HEADER)) != 0)
                        return STATEFILE_E_CORRUPT;
                boot_id(boot);
                snprintf(header, sizeof(header), HEADER "%s\n", boot);
                if (strcmp(line, header) != 0) {
                        ctx->is_other_boot = true;
                        return STATEFILE_E_CORRUPT;
                }
                return 0;
        }
        return parse_line(ctx->l, line); /* LOGINFILE_E_CORRUPT is STATEFILE_E_CORRUPT */
}

int loginfile_load(const char *dir, Logins *l, char **errorp)
{
        LoadCtx ctx = { .l = l };
        char line[LINE_MAX_LEN + 2];
        int r;

        r = statefile_read(dir, LOGINFILE_NAME, "login list", line, sizeof(line), load_line, &ctx,
                           errorp);
        if (ctx.is_other_boot) {
                statefile_error(errorp, "%s/%s was written during another boot", dir,
                                LOGINFILE_NAME);
                return LOGINFILE_E_OTHER_BOOT;
        }
        return r;
}

static int put_login(const char *id, uint32_t uid, uint32_t session, int64_t group_start,
                     bool is_open, void *arg)
{
        return fprintf(arg, "%s %" PRIu32 " %" PRIu32 " %" PRId64 " %d\n", id, uid, session,
                       group_start < 0 ? 0 : group_start, is_open ? 1 : 0) < 0
                       ? -EIO
                       : 0;
}

static int write_list(FILE *f, void *arg)
{
        char boot[BOOT_ID_MAX];

        boot_id(boot);
        return fprintf(f, HEADER "%s\n", boot) < 0 ? -EIO : logins_foreach(arg, put_login, f);
}

int loginfile_save(const char *dir, const Logins *l, char **errorp)
{
        return atomicfile_replace(dir, LOGINFILE_NAME, write_list, (void *)l, errorp);
}
