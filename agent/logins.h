/* SPDX-License-Identifier: MIT */
/*
 * logins.h - the PAM logins of each uid (the Login method).  A uid's logins
 * form a login group: it starts with the first open login and ends with the
 * last close.  Each login remembers its audit login session (the kernel's
 * sessionid of the PAM process, which every process of that login inherits),
 * and a closed login stays in its group until the group ends, so the end of
 * the group names exactly the login sessions whose credentials end with it.
 * Bounded per uid and in all.  Deciding who may record logins, what to
 * revoke and keeping the registry on disk (loginfile.c) belong to others.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define LOGINS_PER_UID_MAX 1024      /* open logins of one uid */
#define LOGINS_CLOSED_PER_UID_MAX 64 /* closed logins kept in an open group */
#define LOGINS_MAX 65536             /* entries in all */
#define LOGINS_ID_LEN 32             /* hex digits */
#define LOGINS_NO_SESSION UINT32_MAX /* a login without an audit session */

enum {
        LOGINS_E_UID_FULL = 1, /* the uid holds LOGINS_PER_UID_MAX open logins */
        LOGINS_E_FULL,         /* LOGINS_MAX logins in all */
        LOGINS_E_UNKNOWN,      /* no open login has that id */
        LOGINS_E_EXISTS,       /* logins_restore(): that id is already known */
};

typedef struct Logins Logins;

/*
 * What ends when a login closes: nothing yet (other logins of the uid are
 * open, and this one is kept until they close), or the sessions of the
 * listed login sessions; with is_unscoped, a login of them had no audit
 * session, and every session of the uid issued since group_start ends too.
 */
typedef struct LoginEnd {
        uint32_t uid;
        size_t n_left;  /* open logins of the uid after this close */
        bool is_ending; /* something ends now: the list below */
        bool is_unscoped;
        int64_t group_start;
        uint32_t *sessions; /* heap (the caller frees), n_sessions of them */
        size_t n_sessions;
} LoginEnd;

/* logins_new() - an empty registry.  Return: 0 or -ENOMEM; the caller frees *@lp. */
int logins_new(Logins **lp);
/* logins_free() - free @l (NULL is fine).  Return: NULL. */
Logins *logins_free(Logins *l);

/*
 * logins_open() - record a login of @uid in audit session @session started at @now.
 * @idp: receives its id (LOGINS_ID_LEN hex digits and a NUL)
 * Return: 0, LOGINS_E_UID_FULL, LOGINS_E_FULL or -ENOMEM.
 */
int logins_open(Logins *l, uint32_t uid, uint32_t session, int64_t now,
                char idp[LOGINS_ID_LEN + 1]);

/*
 * logins_close() - end the open login @id.  The uid's last open login ends
 * the group: every login of it (this one and the closed ones kept) is named
 * in @endp and forgotten.  Otherwise this login is kept, closed, until the
 * group ends; past LOGINS_CLOSED_PER_UID_MAX kept ones (or when a kept login
 * has the same session) it ends at once instead, alone.
 * Return: 0 (@endp filled), LOGINS_E_UNKNOWN or -ENOMEM.
 */
int logins_close(Logins *l, const char *id, size_t id_len, LoginEnd *endp);

/* login_end_deinit() - free what logins_close() put in @e. */
void login_end_deinit(LoginEnd *e);

/* logins_count_uid() - the open logins of @uid. */
size_t logins_count_uid(const Logins *l, uint32_t uid);

/* logins_count() - every login held, open or kept closed. */
size_t logins_count(const Logins *l);

/*
 * logins_foreach() - call @fn for every login held (for saving), stopping at
 * the first non-zero return, which it passes on.
 */
int logins_foreach(const Logins *l,
                   int (*fn)(const char *id, uint32_t uid, uint32_t session, int64_t group_start,
                             bool is_open, void *arg),
                   void *arg);

/*
 * logins_restore() - put back a login saved before a restart (loginfile.c).
 * Return: 0, LOGINS_E_EXISTS, LOGINS_E_FULL or -ENOMEM.
 */
int logins_restore(Logins *l, const char *id, uint32_t uid, uint32_t session, int64_t group_start,
                   bool is_open);

DEFINE_TRIVIAL_CLEANUP_FUNC(Logins, logins_free);
