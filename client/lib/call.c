/* SPDX-License-Identifier: MIT */
/*
 * call.c - the steps every libroled call shares, around one method: the
 * checks it starts with, the request's own checks (CallKind.read), one Op
 * waited for (the blocking form) or queued for roled_client_process() (the
 * _async form), and the result handed back.  Each call's file keeps what
 * differs: its CallKind (how the request is checked and packed, the result
 * decoded and delivered) and its result type; the transport is io.c's.
 */
#include "client.h"

#include <string.h>

roled_status call_check(const roled_client *c, const CallKind *k, const void *resultp,
                        roled_error *err)
{
        roled_status st = client_check(c, err);

        if (st == ROLED_OK && !resultp)
                st = error_set(err, ROLED_E_INVALID_ARGUMENT, "%s(): the result pointer is NULL",
                               k->name);
        return st;
}

roled_status call_check_out(const roled_client *c, void *outp, const char *fn, const char *name,
                            roled_error *err)
{
        void *none = NULL;
        roled_status st;

        if (outp)
                memcpy(outp, &none, sizeof(none));
        if ((st = client_check(c, err)))
                return st;
        if (!outp)
                return error_set(err, ROLED_E_INVALID_ARGUMENT, "%s(): %s is NULL", fn, name);
        return ROLED_OK;
}

roled_status call_wait(roled_client *c, const CallKind *k, const void *arg, int64_t start_ms,
                       void **objp, roled_error *err)
{
        Op *op = op_new(c, OP_BLOCKING, k->method, k->pack, arg);

        if (!op)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        return io_call(c, op, start_ms, k->result, objp, err);
}

roled_status call_read(roled_client *c, ProtoMethod method, OpPackFn pack, const void *arg,
                       OpReadFn read_fn, void *out, roled_error *err)
{
        int64_t start = client_now_ms();
        roled_status st = client_check(c, err);
        Op *op;

        if (st != ROLED_OK)
                return st;
        op = op_new(c, OP_BLOCKING, method, pack, arg);
        if (!op)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        return io_call_read(c, op, start, read_fn, out, err);
}

roled_status call_blocking(roled_client *c, const CallKind *k, const void *req, void *q,
                           void *resultp, roled_error *err)
{
        int64_t start = client_now_ms();
        roled_status st = call_check(c, k, resultp, err);
        void *obj = NULL;

        if (st == ROLED_OK && k->read)
                st = k->read(req, q, err);
        if (st == ROLED_OK)
                st = call_wait(c, k, k->read ? q : req, start, &obj, err);
        /*
         * *resultp is a pointer to the call's result type; every object
         * pointer has void *'s representation here (POSIX), and memcpy()
         * stores it without an aliasing question.
         */
        if (resultp)
                memcpy(resultp, &obj, sizeof(obj));
        return st;
}

roled_status call_async(roled_client *c, const CallKind *k, const void *req, void *q, void *cb,
                        void *userdata, roled_error *err)
{
        roled_status st = client_check(c, err);
        Op *op;

        if (st == ROLED_OK && !cb)
                st = error_set(err, ROLED_E_INVALID_ARGUMENT, "%s_async(): no callback", k->name);
        if (st == ROLED_OK && k->read)
                st = k->read(req, q, err);
        if (st != ROLED_OK)
                return st;
        op = op_new(c, OP_ASYNC, k->method, k->pack, k->read ? q : req);
        if (!op)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        op->result = k->result;
        op->deliver = k->deliver;
        op->cb = cb;
        op->userdata = userdata;
        return io_start_async(c, op, err);
}
