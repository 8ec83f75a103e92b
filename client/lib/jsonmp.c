/* SPDX-License-Identifier: MIT */
/*
 * jsonmp.c - a msgpack value as JSON text, for roled_agent_status_json().
 * The writer itself is the base layer's (jsonw.h).
 */
#include "jsonmp.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void json_msgpack(JsonBuf *b, const msgpack_object *o)
{
        char num[40];
        int n;

        switch (o->type) {
        case MSGPACK_OBJECT_NIL:
        case MSGPACK_OBJECT_BIN:
        case MSGPACK_OBJECT_EXT:
                json_rawz(b, "null");
                break;
        case MSGPACK_OBJECT_BOOLEAN:
                json_rawz(b, o->via.boolean ? "true" : "false");
                break;
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
                json_uint(b, o->via.u64);
                break;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
                n = snprintf(num, sizeof(num), "%" PRId64, o->via.i64);
                json_raw(b, num, (size_t)n);
                break;
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
                n = snprintf(num, sizeof(num), "%.17g", o->via.f64);
                /* JSON has no NaN or infinities. */
                if (strpbrk(num, "ni"))
                        json_rawz(b, "null");
                else
                        json_raw(b, num, (size_t)n);
                break;
        case MSGPACK_OBJECT_STR:
                json_str(b, o->via.str.ptr, o->via.str.size);
                break;
        case MSGPACK_OBJECT_ARRAY:
                json_raw(b, "[", 1);
                for (uint32_t i = 0; i < o->via.array.size; i++) {
                        if (i)
                                json_raw(b, ", ", 2);
                        json_msgpack(b, &o->via.array.ptr[i]);
                }
                json_raw(b, "]", 1);
                break;
        case MSGPACK_OBJECT_MAP:
                json_raw(b, "{", 1);
                for (uint32_t i = 0, k = 0; i < o->via.map.size; i++) {
                        const msgpack_object_kv *kv = &o->via.map.ptr[i];

                        if (kv->key.type != MSGPACK_OBJECT_STR)
                                continue;
                        if (k++)
                                json_raw(b, ", ", 2);
                        json_str(b, kv->key.via.str.ptr, kv->key.via.str.size);
                        json_raw(b, ": ", 2);
                        json_msgpack(b, &kv->val);
                }
                json_raw(b, "}", 1);
                break;
        }
}
