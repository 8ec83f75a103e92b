/* SPDX-License-Identifier: MIT */
/*
 * fuzz-sts.c - libFuzzer target for the parser of STS answers (agent/sts.c,
 * expat underneath).  The first byte picks the HTTP status (200, 400, 403 or
 * 500), the rest is the body.  Whatever the bytes, sts_parse() returns one of
 * its documented outcomes, and credentials it accepts are complete.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const long statuses[] = { 200, 400, 403, 500 };
        StsAnswer a;
        int r;

        if (size < 1)
                return 0;
        r = sts_parse(statuses[data[0] & 3], (const char *)data + 1, size - 1, &a);
        if (r == 0) {
                if (!a.creds.akid[0] || !a.creds.token ||
                    strlen(a.creds.token) != a.creds.token_len)
                        abort();
                credentials_deinit(&a.creds);
        } else if (r == STS_E_ERROR) {
                if (!a.code[0] || strlen(a.code) >= sizeof(a.code))
                        abort();
        } else if (r != STS_E_MALFORMED && r != -ENOMEM) {
                abort();
        }
        return 0;
}
