/* SPDX-License-Identifier: MIT */
/*
 * fuzz-sigv4.c - libFuzzer target for the SigV4 verifier (agent/sigv4.c).
 * The input is a request in a small text form ("METHOD target" line,
 * "name:value" lines, blank line, payload); whatever parses is signed with a
 * fixed secret, and sigv4_verify() at the request's own time must then answer
 * 0 exactly when the sent signature equals the computed one, else MISMATCH.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"

/* next_line() - the line at *p (without '\n'); advances *p past it. */
static const char *next_line(const char **p, const char *end, size_t *lenp)
{
        const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));

        *lenp = (size_t)((nl ? nl : end) - s);
        *p = nl ? nl + 1 : end;
        return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static Sigv4Result res, res2;
        Sigv4Header headers[SIGV4_HEADERS_MAX + 2];
        Sigv4Request req = { 0 };
        Sigv4Auth auth;
        const char *p = (const char *)data, *end = p + size, *line, *sp, *q;
        char sig[SIGV4_SIGNATURE_HEX_LEN + 1];
        size_t len;
        int r;

        if (sodium_init() < 0)
                abort();
        (void)sigv4_parse_authorization((const char *)data, size, &auth);
        (void)sigv4_parse_presigned((const char *)data, size, &auth);

        line = next_line(&p, end, &len);
        sp = memchr(line, ' ', len);
        if (!sp)
                return 0;
        req.method = line;
        req.method_len = (size_t)(sp - line);
        q = memchr(sp + 1, '?', len - req.method_len - 1);
        req.path = sp + 1;
        req.path_len = (size_t)((q ? q : line + len) - req.path);
        if (q) {
                req.query = q + 1;
                req.query_len = (size_t)(line + len - q - 1);
        }
        req.headers = headers;
        while (p < end && req.n_headers < SIGV4_HEADERS_MAX + 2) {
                const char *colon;

                line = next_line(&p, end, &len);
                if (len == 0)
                        break;
                colon = memchr(line, ':', len);
                if (!colon)
                        continue;
                headers[req.n_headers].name = line;
                headers[req.n_headers].name_len = (size_t)(colon - line);
                headers[req.n_headers].value = colon + 1;
                headers[req.n_headers].value_len = len - headers[req.n_headers].name_len - 1;
                req.n_headers++;
        }
        req.payload = (const uint8_t *)p;
        req.payload_len = (size_t)(end - p);

        if (sigv4_parse_request(&req, &res) != 0) {
                req.now = 0;
                r = sigv4_verify(&req, SECRET, NULL, &res2);
                if (r == 0 || r < 0)
                        abort();
                return 0;
        }
        if (sigv4_sign(&req, &res.auth, SECRET, NULL, sig) != 0)
                return 0;
        req.now = res.time;
        r = sigv4_verify(&req, SECRET, NULL, &res2);
        if (strcmp(sig, res.auth.signature) == 0) {
                if (r != 0 || strcmp(res2.auth.access_key_id, res.auth.access_key_id) != 0)
                        abort();
        } else if (r != SIGV4_E_MISMATCH) {
                abort();
        }
        return 0;
}
