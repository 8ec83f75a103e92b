/* SPDX-License-Identifier: MIT */
/*
 * fuzz-scan.c - libFuzzer target for the bounded scanner and the RPC envelope
 * decoder (proto/scan.c, proto/rpc.c).  The input is scanned whole and in two
 * pieces (the results must agree), and every message the scanner accepts is
 * decoded with msgpack-c and its fields read, as the agent would.
 */
#include <msgpack.h>
#include <stdint.h>
#include <stdlib.h>

#include "rpc.h"
#include "scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every parameter the handlers read, through each typed getter. */
static void touch_fields(const ProtoMsg *msg)
{
        static const char *const keys[] = {
                "role", "durationSeconds", "policy", "sessionName", "sessionToken",
                "uid",  "version",         "code",   "message"
        };
        const msgpack_object *maps[] = { msg->params, msg->result, msg->error };

        for (size_t m = 0; m < 3; m++) {
                for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                        const char *s;
                        const uint8_t *p;
                        size_t n;

                        (void)proto_get_str(maps[m], keys[k], PROTO_POLICY_MAX, &s, &n);
                        (void)proto_get_bin(maps[m], keys[k], PROTO_TOKEN_MAX, &p, &n);
                }
        }
        if (msg->error) {
                size_t n;

                (void)proto_error_code(msg->error);
                (void)proto_error_message(msg->error, &n);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Scan s;
        size_t msg_len = 0, msg_len2 = 0, cut;
        int r, r2;

        scan_init(&s, PROTO_MESSAGE_MAX);
        r = scan_feed(&s, data, size, &msg_len);

        /* Resumption must not change the verdict. */
        cut = size ? data[0] % (size + 1) : 0;
        scan_init(&s, PROTO_MESSAGE_MAX);
        r2 = scan_feed(&s, data, cut, &msg_len2);
        if (r2 == SCAN_E_INCOMPLETE)
                r2 = scan_feed(&s, data, size, &msg_len2);
        if (r2 != r || (r == 0 && msg_len2 != msg_len))
                abort();

        if (r == 0) {
                msgpack_zone zone;
                msgpack_object obj;
                ProtoMsg msg;

                if (msg_len > size)
                        abort();
                if (!msgpack_zone_init(&zone, 2048))
                        return 0;
                if (proto_decode(data, msg_len, &zone, &obj, &msg) == 0)
                        touch_fields(&msg);
                msgpack_zone_destroy(&zone);
        }
        return 0;
}
