/* SPDX-License-Identifier: MIT */
/*
 * error.c - roled_error: the status and message of one failed call, owned by
 * the caller.  Every failure path in libroled goes through error_set(), so
 * every failure has a message; a NULL roled_error simply receives nothing.
 */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>

/* A roled_error the caller declared with a size we know how to fill. */
static bool usable(const roled_error *err)
{
        return err && err->size >= sizeof(roled_error);
}

roled_status error_set(roled_error *err, roled_status st, const char *fmt, ...)
{
        char buf[CLIENT_ERROR_MAX];
        va_list ap;

        if (!usable(err))
                return st;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        /* The text ends up on one line of a log or of rolectl's stderr: no control characters. */
        for (char *p = buf; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = ' ';
        free(err->message);
        /* Without memory the message is NULL, and roled_error_message() falls back to
         * roled_strerror(). */
        err->message = strdup(buf);
        err->status = st;
        return st;
}

roled_status error_copy(roled_error *dst, const roled_error *src)
{
        if (src->message)
                return error_set(dst, src->status, "%s", src->message);
        return error_set(dst, src->status, "%s", roled_strerror(src->status));
}

ROLED_EXPORT const char *roled_error_message(const roled_error *err)
{
        if (!err)
                return "";
        if (usable(err) && err->message)
                return err->message;
        return roled_strerror(err->status);
}

ROLED_EXPORT void roled_error_clear(roled_error *err)
{
        if (!usable(err))
                return;
        free(err->message);
        *err = (roled_error)ROLED_ERROR_INIT;
}
