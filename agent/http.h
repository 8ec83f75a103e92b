/* SPDX-License-Identifier: MIT */
/*
 * http.h - HTTPS requests on the agent's libuv loop with libcurl's multi
 * interface: curl tells us which sockets to watch (uv_poll) and when to
 * wake it (uv_timer); nothing blocks the loop and no thread is started per
 * request (name resolution runs in libcurl's own resolver thread).  TLS
 * peer and host verification are always on.  What the bytes mean is the
 * caller's business (sts.c).
 */
#pragma once

#include <stddef.h>
#include <uv.h>

#define HTTP_BODY_MAX (64 * 1024) /* response bytes kept; more is an error */
#define HTTP_CONNECT_TIMEOUT_MS 5000
#define HTTP_TIMEOUT_MS 15000
/*
 * HTTP_CONNECTIONS_MAX - connections open at once (CURLMOPT_MAX_TOTAL_CONNECTIONS):
 * the bound on upstream calls running in parallel; more wait in libcurl's
 * queue (their timeouts run meanwhile).  The callers that can start calls
 * are bounded by the flights and per-uid connection limits.
 */
#define HTTP_CONNECTIONS_MAX 128

enum {
        HTTP_E_TRANSPORT =
                1,        /* no HTTP answer: DNS, connect, TLS, timeout, reset; see the message */
        HTTP_E_TOO_LARGE, /* the answer was over HTTP_BODY_MAX */
};

typedef struct Http Http;

/*
 * HttpPost - one request; everything is copied by http_post().
 *  method    NULL or "POST", "PUT" (both send the body) or "GET" (no body)
 *  headers   "Name: value" lines (NULL-terminated array)
 *  ca_file   extra trust anchors next to the system store, or NULL
 */
typedef struct HttpPost {
        const char *method;
        const char *url;
        const char *const *headers;
        const char *body;
        size_t body_len;
        const char *ca_file;
        long connect_timeout_ms;
        long timeout_ms;
} HttpPost;

/*
 * HttpDone - the outcome of a POST, called once from the loop.
 * @r:      0 (an HTTP answer: @status and @body), HTTP_E_TRANSPORT or
 *          HTTP_E_TOO_LARGE (@error says what), or -ECANCELED (http_free())
 * @body:   the response body, NUL-terminated; wiped and freed after the call
 */
typedef void (*HttpDone)(void *userdata, int r, long status, const char *body, size_t len,
                         const char *error);

/*
 * http_new() - a client on @loop.  libcurl is loaded by the first
 * http_post(), or by http_prepare().  Return: 0 or -ENOMEM.
 */
int http_new(uv_loop_t *loop, Http **hp);

/*
 * http_prepare() - load and set up libcurl now (loading it takes some
 * milliseconds, better spent at start than in the first request).
 * Return: 0 or -EIO (logged).
 */
int http_prepare(Http *h);

/* http_free() - cancel every request (HttpDone with -ECANCELED) and free once the handles closed.
 */
void http_free(Http *h);

/* http_post() - start the request (a POST unless @req->method says otherwise).  Return: 0 (@done
 * will be called), -ENOMEM or -EIO. */
int http_post(Http *h, const HttpPost *req, HttpDone done, void *userdata);

/* http_in_flight() - requests started and not yet done. */
size_t http_in_flight(const Http *h);
