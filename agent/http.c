/* SPDX-License-Identifier: MIT */
/*
 * http.c - libcurl multi on the libuv loop (see http.h).
 *
 * The socket callback keeps one uv_poll_t per socket curl hands us (freed in
 * its close callback); the timer callback arms one uv_timer_t.  Both feed
 * curl_multi_socket_action(), after which finished transfers are collected.
 * Response bodies may hold credentials: they are wiped when freed.
 */
#include "http.h"

#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "curlapi.h"
#include "list.h"
#include "log.h"
#include "secbuf.h"

#define SYSTEM_CA_PATH "/etc/ssl/certs"

/* libcurl, once loaded (start_multi()): every call below is made after that. */
static const CurlApi *cu;

typedef struct Call {
        struct Call *prev, *next;
        Http *http;
        CURL *easy;
        struct curl_slist *headers;
        char *body; /* received */
        size_t len, size;
        bool is_too_large;
        char error[CURL_ERROR_SIZE];
        HttpDone done;
        void *userdata;
} Call;

struct Http {
        uv_loop_t *loop;
        CURLM *multi;
        uv_timer_t timer;
        Call *calls;
        size_t n_calls;
        bool is_closing;
};

typedef struct Poll {
        uv_poll_t poll;
        curl_socket_t fd;
        Http *http;
} Poll;

static void call_free(Call *c)
{
        if (c->body) {
                sodium_memzero(c->body, c->size);
                free(c->body);
        }
        for (struct curl_slist *l = c->headers; l; l = l->next)
                sodium_memzero(l->data, strlen(l->data));
        cu->slist_free_all(c->headers);
        if (c->easy)
                cu->easy_cleanup(c->easy);
        free(c);
}

static void unlink_call(Call *c)
{
        LIST_UNLINK(prev, next, c->http->calls, c);
        c->http->n_calls--;
}

/* Hand every finished transfer to its caller. */
static void collect(Http *h)
{
        CURLMsg *m;
        int left;

        while ((m = cu->multi_info_read(h->multi, &left))) {
                Call *c = NULL;
                long status = 0;
                int r = 0;

                if (m->msg != CURLMSG_DONE)
                        continue;
                cu->easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
                cu->easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
                cu->multi_remove_handle(h->multi, m->easy_handle);
                unlink_call(c);
                if (c->is_too_large) {
                        r = HTTP_E_TOO_LARGE;
                        snprintf(c->error, sizeof(c->error), "answer larger than %d bytes",
                                 HTTP_BODY_MAX);
                } else if (m->data.result != CURLE_OK) {
                        r = HTTP_E_TRANSPORT;
                        if (!c->error[0])
                                snprintf(c->error, sizeof(c->error), "%s",
                                         cu->easy_strerror(m->data.result));
                }
                c->done(c->userdata, r, status, c->body ? c->body : "", c->len, c->error);
                call_free(c);
        }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
        Poll *ctx = p->data;
        Http *h = ctx->http;
        int flags = 0, running;

        if (status < 0)
                flags = CURL_CSELECT_ERR;
        if (events & UV_READABLE)
                flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
                flags |= CURL_CSELECT_OUT;
        cu->multi_socket_action(h->multi, ctx->fd, flags, &running);
        collect(h);
}

static void on_poll_closed(uv_handle_t *handle)
{
        free(handle->data);
}

static int on_socket(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
        Http *h = userp;
        Poll *ctx = socketp;
        int events = 0;

        (void)easy;
        if (action == CURL_POLL_REMOVE) {
                if (ctx) {
                        uv_poll_stop(&ctx->poll);
                        uv_close((uv_handle_t *)&ctx->poll, on_poll_closed);
                        cu->multi_assign(h->multi, fd, NULL);
                }
                return 0;
        }
        if (!ctx) {
                ctx = calloc(1, sizeof(*ctx));
                if (!ctx)
                        return -1;
                ctx->fd = fd;
                ctx->http = h;
                if (uv_poll_init_socket(h->loop, &ctx->poll, fd) < 0) {
                        free(ctx);
                        return -1;
                }
                ctx->poll.data = ctx;
                cu->multi_assign(h->multi, fd, ctx);
        }
        if (action == CURL_POLL_IN || action == CURL_POLL_INOUT)
                events |= UV_READABLE;
        if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT)
                events |= UV_WRITABLE;
        uv_poll_start(&ctx->poll, events, on_poll);
        return 0;
}

static void on_timeout(uv_timer_t *t)
{
        Http *h = t->data;
        int running;

        cu->multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        collect(h);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
        Http *h = userp;

        (void)multi;
        if (h->is_closing)
                return 0;
        if (timeout_ms < 0)
                uv_timer_stop(&h->timer);
        else
                uv_timer_start(&h->timer, on_timeout, (uint64_t)timeout_ms, 0);
        return 0;
}

static size_t on_write(char *data, size_t size, size_t n, void *userp)
{
        Call *c = userp;
        size_t len = size * n;
        char *b;

        if (c->len + len > HTTP_BODY_MAX) {
                c->is_too_large = true;
                return 0;
        }
        /* The bytes may hold credentials: secbuf_grow() wipes what it leaves. */
        b = secbuf_grow(c->body, c->len, &c->size, len + 1, 1024, SIZE_MAX);
        if (!b)
                return 0;
        c->body = b;
        memcpy(c->body + c->len, data, len);
        c->len += len;
        c->body[c->len] = '\0';
        return len;
}

/*
 * libcurl is loaded and set up on the first request, not at start: an agent
 * with no aws role never makes one (curlapi.h says what loading it costs).
 */
static int start_multi(Http *h)
{
        int r;

        if (h->multi)
                return 0;
        r = curlapi_load(&cu);
        if (r < 0)
                return r;
        h->multi = cu->multi_init();
        if (!h->multi)
                return -EIO;
        cu->multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        cu->multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
        cu->multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
        cu->multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
        /* Upstream connections at once; more requests wait in libcurl's queue. */
        cu->multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)HTTP_CONNECTIONS_MAX);
        return 0;
}

int http_prepare(Http *h)
{
        return start_multi(h);
}

int http_new(uv_loop_t *loop, Http **hp)
{
        Http *h = calloc(1, sizeof(*h));

        if (!h)
                return -ENOMEM;
        h->loop = loop;
        uv_timer_init(loop, &h->timer);
        h->timer.data = h;
        /* The timer does not keep the loop alive: pending calls are cancelled at shutdown. */
        uv_unref((uv_handle_t *)&h->timer);
        *hp = h;
        return 0;
}

static void on_timer_closed(uv_handle_t *handle)
{
        free(handle->data);
}

void http_free(Http *h)
{
        if (!h)
                return;
        h->is_closing = true;
        while (h->calls) {
                Call *c = h->calls;

                cu->multi_remove_handle(h->multi, c->easy);
                unlink_call(c);
                c->done(c->userdata, -ECANCELED, 0, "", 0, "shutting down");
                call_free(c);
        }
        /* Closes cached connections: the socket callback closes their polls. */
        if (h->multi)
                cu->multi_cleanup(h->multi);
        h->multi = NULL;
        uv_timer_stop(&h->timer);
        uv_close((uv_handle_t *)&h->timer, on_timer_closed);
}

size_t http_in_flight(const Http *h)
{
        return h->n_calls;
}

int http_post(Http *h, const HttpPost *req, HttpDone done, void *userdata)
{
        Call *c;

        if (h->is_closing)
                return -ECANCELED;
        if (start_multi(h) < 0)
                return -EIO;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->http = h;
        c->done = done;
        c->userdata = userdata;
        c->easy = cu->easy_init();
        if (!c->easy)
                goto fail;
        for (const char *const *l = req->headers; l && *l; l++) {
                struct curl_slist *n = cu->slist_append(c->headers, *l);

                if (!n)
                        goto fail;
                c->headers = n;
        }
        if (cu->easy_setopt(c->easy, CURLOPT_URL, req->url) != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "https,http") != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_write) != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_WRITEDATA, c) != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_PRIVATE, c) != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->error) != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_USERAGENT, "roled/" ROLED_VERSION) != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS,
                            req->connect_timeout_ms > 0 ? req->connect_timeout_ms
                                                        : HTTP_CONNECT_TIMEOUT_MS) != CURLE_OK ||
            cu->easy_setopt(c->easy, CURLOPT_TIMEOUT_MS,
                            req->timeout_ms > 0 ? req->timeout_ms : HTTP_TIMEOUT_MS) != CURLE_OK)
                goto fail;
        /* GET has no body; PUT sends its body like a POST under another name. */
        if (req->method && strcmp(req->method, "GET") == 0) {
                if (cu->easy_setopt(c->easy, CURLOPT_HTTPGET, 1L) != CURLE_OK)
                        goto fail;
        } else if (cu->easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)req->body_len) !=
                           CURLE_OK ||
                   cu->easy_setopt(c->easy, CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "") !=
                           CURLE_OK ||
                   (req->method && strcmp(req->method, "PUT") == 0 &&
                    cu->easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, "PUT") != CURLE_OK)) {
                goto fail;
        }
        /* ca_file adds to the system store: CAINFO is the file, CAPATH stays the system folder. */
        if (req->ca_file && (cu->easy_setopt(c->easy, CURLOPT_CAINFO, req->ca_file) != CURLE_OK ||
                             cu->easy_setopt(c->easy, CURLOPT_CAPATH, SYSTEM_CA_PATH) != CURLE_OK))
                goto fail;
        if (cu->multi_add_handle(h->multi, c->easy) != CURLM_OK)
                goto fail;
        c->next = h->calls;
        if (h->calls)
                h->calls->prev = c;
        h->calls = c;
        h->n_calls++;
        return 0;
fail:
        call_free(c);
        return -EIO;
}
