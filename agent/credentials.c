/* SPDX-License-Identifier: MIT */
/*
 * credentials.c - the credentials type shared by the issuers and the cache
 * (see credentials.h): wiping and copying.
 */
#include "credentials.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void credentials_deinit(Credentials *c)
{
        if (c->token) {
                sodium_memzero(c->token, c->token_len);
                free(c->token);
        }
        free(c->assumed_role_arn);
        sodium_memzero(c, sizeof(*c));
}
