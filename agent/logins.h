/* SPDX-License-Identifier: MIT */
/*
 * logins.h - the open PAM logins, per uid (the Login method).  A uid's logins
 * form a login group: it starts with the first open login and ends with the
 * last close, and the group's start time is what Login uses to find the
 * sessions created for it.  Bounded per uid and in all; memory only (a
 * restart forgets every login).  Deciding who may record logins and what to
 * revoke belongs to handlers_login.c.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define LOGINS_PER_UID_MAX 1024
#define LOGINS_MAX 65536
#define LOGINS_ID_LEN 32 /* hex digits */

enum {
        LOGINS_E_UID_FULL = 1, /* the uid holds LOGINS_PER_UID_MAX logins */
        LOGINS_E_FULL,         /* LOGINS_MAX logins in all */
        LOGINS_E_UNKNOWN,      /* no open login has that id */
};

typedef struct Logins Logins;

/* logins_new() - an empty registry.  Return: 0 or -ENOMEM; the caller frees *@lp. */
int logins_new(Logins **lp);
/* logins_free() - free @l (NULL is fine).  Return: NULL. */
Logins *logins_free(Logins *l);

/*
 * logins_open() - record a login of @uid started at @now.
 * @idp: receives its id (LOGINS_ID_LEN hex digits and a NUL)
 * @group_startp: receives the start of the uid's login group (@now for its first login)
 * Return: 0, LOGINS_E_UID_FULL, LOGINS_E_FULL or -ENOMEM.
 */
int logins_open(Logins *l, uint32_t uid, int64_t now, char idp[LOGINS_ID_LEN + 1],
                int64_t *group_startp);

/*
 * logins_close() - end the login @id.
 * @uidp: receives its uid
 * @n_leftp: receives how many logins of that uid stay open
 * @group_startp: receives the start of the uid's login group
 * Return: 0 or LOGINS_E_UNKNOWN.
 */
int logins_close(Logins *l, const char *id, size_t id_len, uint32_t *uidp, size_t *n_leftp,
                 int64_t *group_startp);

/* logins_count_uid() - the open logins of @uid. */
size_t logins_count_uid(const Logins *l, uint32_t uid);

DEFINE_TRIVIAL_CLEANUP_FUNC(Logins, logins_free);
