/* SPDX-License-Identifier: MIT */
/*
 * credentials.h - one set of AWS-shaped temporary credentials, whichever
 * issuer produced it: what the session cache keeps and the handlers send.
 * Minting them is an issuer's job (issuer.h), caching them sessions.c's.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define CREDENTIALS_AKID_MAX 32    /* STS documents 16..128; real keys are 20 (token.h's bound) */
#define CREDENTIALS_SECRET_MAX 128 /* real secrets are 40 characters */
#define CREDENTIALS_SID_LEN 32     /* 16 random bytes, hex */

/*
 * Credentials - one session.  The secret and token are wiped by
 * credentials_deinit(); the struct is plain memory (not Secret) because a
 * cache holds many of them.  Moving one by struct copy is fine as long as
 * only one copy is deinit'ed (see sessions_insert()).
 *  issuer     the driver's static name ("local", "aws"); never freed
 */
typedef struct Credentials {
        char akid[CREDENTIALS_AKID_MAX + 1];
        char secret[CREDENTIALS_SECRET_MAX + 1];
        char sid[CREDENTIALS_SID_LEN + 1];
        char *token; /* heap, NUL-terminated */
        size_t token_len;
        char *assumed_role_arn; /* heap: arn:aws:sts::<account>:assumed-role/<role>/<session> */
        const char *issuer;
        int64_t issued;
        int64_t expires;
} Credentials;

#define CREDENTIALS_INIT                                                                           \
        {                                                                                          \
                0                                                                                  \
        }

/* credentials_deinit() - wipe the secret and token, free, reset to CREDENTIALS_INIT.  Idempotent.
 */
void credentials_deinit(Credentials *c);
