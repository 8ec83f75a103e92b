/* SPDX-License-Identifier: MIT */
/*
 * objstore - an example local service that authorizes with roled.
 *
 * A tiny in-memory "object store" on loopback HTTP (127.0.0.1, an ephemeral
 * port unless --port is given).  Clients sign their requests with SigV4
 * exactly as they would for S3 -- any AWS SDK or botocore's SigV4Auth, with
 * credentials from `rolectl credential-process` -- and the service hands the
 * whole signed request (method, raw path and query, every header, the body)
 * to roled_authorize().  The agent checks the signature with the secret it
 * derives from the access key id, verifies the session token in
 * x-amz-security-token (expiry, revocation), takes the caller's identity from
 * the token's signed claims and evaluates the role's permissions policy.
 * The service never sees a secret key and keeps no user database.
 *
 * Requests: GET/HEAD (s3:GetObject), PUT (s3:PutObject) and DELETE
 * (s3:DeleteObject) of /BUCKET/KEY, on resource arn:aws:s3:::BUCKET/KEY.
 * An "x-roled-context: KEY=VALUE" header (signed like any other) adds a
 * request context key; the agent refuses keys that describe the principal.
 * Answers: 200 on allow (404 when the object does not exist), 403 with the
 * decision and the deciding statement on deny, 403 with the agent's error
 * code for bad signatures or tokens, 400 for bad parameters.
 *
 * The service names itself to the agent as the endpoint the request must have
 * been signed for -- service "s3", its region (--region, default us-east-1)
 * and its own host "127.0.0.1:PORT" -- so a request signed for another
 * service, region or host (captured on its way elsewhere) is refused with
 * SignatureDoesNotMatch instead of being replayed here.
 *
 * Usage: objstore [--socket PATH] [--port N] [--region R]; it prints
 * "listening on 127.0.0.1:PORT" once ready and serves one connection at a
 * time until SIGTERM.  It uses only the public libroled API.
 */
#include <errno.h>
#include <netinet/in.h>
#include <roled/roled.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define HEAD_MAX 16384 /* request line and headers */
#define BODY_MAX 32768 /* the agent takes at most 64 KiB per message */
#define HEADERS_MAX 64 /* PROTOCOL.md: at most 64 headers in a signed request */
#define CONTEXT_MAX 16
#define OBJECTS_MAX 64
#define IO_TIMEOUT_S 5

typedef struct Object {
        char *key; /* "bucket/key" */
        char *data;
        size_t len;
} Object;

static Object objects[OBJECTS_MAX];
static volatile sig_atomic_t is_stopping;

static Object *object_find(const char *key)
{
        for (size_t i = 0; i < OBJECTS_MAX; i++)
                if (objects[i].key && strcmp(objects[i].key, key) == 0)
                        return &objects[i];
        return NULL;
}

static int object_put(const char *key, const char *data, size_t len)
{
        Object *o = object_find(key);
        char *copy = malloc(len + 1);

        if (!copy)
                return -ENOMEM;
        memcpy(copy, data, len);
        copy[len] = '\0';
        for (size_t i = 0; !o && i < OBJECTS_MAX; i++)
                if (!objects[i].key && (objects[i].key = strdup(key)))
                        o = &objects[i];
        if (!o) {
                free(copy);
                return -ENOSPC;
        }
        free(o->data);
        o->data = copy;
        o->len = len;
        return 0;
}

static void object_delete(Object *o)
{
        free(o->key);
        free(o->data);
        *o = (Object){ 0 };
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

static void reply(int fd, int code, const char *reason, const char *body, size_t len)
{
        char head[256];
        int n = snprintf(head, sizeof(head),
                         "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nContent-Type: text/plain\r\n"
                         "Connection: close\r\n\r\n",
                         code, reason, len);

        if (write_all(fd, head, (size_t)n) == 0)
                (void)write_all(fd, body, len);
}

/* reply_error() - an S3-style error document: <Error><Code>..</Code><Message>..</Message></Error>.
 */
static void reply_error(int fd, int code, const char *reason, const char *err_code, const char *msg)
{
        char body[6400];
        int n = snprintf(body, sizeof(body),
                         "<Error><Code>%s</Code><Message>%s</Message></Error>\n", err_code, msg);

        reply(fd, code, reason, body,
              n < 0                       ? 0
              : (size_t)n >= sizeof(body) ? sizeof(body) - 1
                                          : (size_t)n);
}

/* A parsed request; every pointer points into the connection's buffer. */
typedef struct HttpRequest {
        char *method, *path, *query;
        roled_header headers[HEADERS_MAX];
        size_t n_headers;
        const char *body;
        size_t body_len;
} HttpRequest;

/*
 * read_request() - read and parse one request from @fd into @buf.
 * Return: 0, or an HTTP status code to answer with (400, 413, 431).
 */
static int read_request(int fd, char *buf, size_t size, HttpRequest *rq)
{
        size_t len = 0, want;
        char *end = NULL, *line, *next;
        long content_len = 0;

        while (!end) {
                ssize_t n;

                if (len == HEAD_MAX)
                        return 431;
                n = recv(fd, buf + len, HEAD_MAX - len, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return 400;
                len += (size_t)n;
                buf[len] = '\0';
                end = strstr(buf, "\r\n\r\n");
        }
        *end = '\0';
        /* Request line: METHOD SP TARGET SP VERSION. */
        rq->method = buf;
        rq->path = strchr(buf, ' ');
        if (!rq->path)
                return 400;
        *rq->path++ = '\0';
        next = strstr(rq->path, "\r\n");
        if (next)
                *next = '\0';
        line = strchr(rq->path, ' ');
        if (!line || rq->path[0] != '/')
                return 400;
        *line = '\0';
        rq->query = strchr(rq->path, '?');
        if (rq->query)
                *rq->query++ = '\0';
        rq->n_headers = 0;
        for (line = next ? next + 2 : NULL; line && *line; line = next) {
                char *colon = strchr(line, ':'), *v;

                next = strstr(line, "\r\n");
                if (next) {
                        *next = '\0';
                        next += 2;
                }
                if (!colon || rq->n_headers == HEADERS_MAX)
                        return rq->n_headers == HEADERS_MAX ? 431 : 400;
                *colon = '\0';
                for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
                        ;
                rq->headers[rq->n_headers++] = (roled_header){ .name = line, .value = v };
                if (strcasecmp(line, "content-length") == 0) {
                        char *e;

                        content_len = strtol(v, &e, 10);
                        if (*e || content_len < 0)
                                return 400;
                        if (content_len > BODY_MAX)
                                return 413;
                }
        }
        /* The body: what already arrived after the headers, then the rest. */
        rq->body = end + 4;
        want = (size_t)(end + 4 - buf) + (size_t)content_len;
        if (want > size)
                return 413;
        while (len < want) {
                ssize_t n = recv(fd, buf + len, want - len, 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return 400;
                len += (size_t)n;
        }
        rq->body_len = (size_t)content_len;
        return 0;
}

/* context_from_headers() - every "x-roled-context: KEY=VALUE" header as a context key. */
static size_t context_from_headers(HttpRequest *rq, roled_context_entry *ctx, char keys[][129],
                                   const char **values)
{
        size_t n = 0;

        for (size_t i = 0; i < rq->n_headers && n < CONTEXT_MAX; i++) {
                const char *eq;

                if (strcasecmp(rq->headers[i].name, "x-roled-context") != 0)
                        continue;
                eq = strchr(rq->headers[i].value, '=');
                if (!eq || eq == rq->headers[i].value || (size_t)(eq - rq->headers[i].value) > 128)
                        continue;
                snprintf(keys[n], 129, "%.*s", (int)(eq - rq->headers[i].value),
                         rq->headers[i].value);
                values[n] = eq + 1;
                ctx[n] = (roled_context_entry){ .key = keys[n],
                                                .values = &values[n],
                                                .n_values = 1 };
                n++;
        }
        return n;
}

/* The endpoint this service is: what every request must have been signed for. */
static char endpoint_host[64];
static const char *endpoint_region = "us-east-1";

static void serve(int fd, roled_client *client)
{
        static char buf[HEAD_MAX + BODY_MAX + 1];
        roled_context_entry ctx[CONTEXT_MAX];
        char keys[CONTEXT_MAX][129], resource[2100], msg[5200];
        const char *values[CONTEXT_MAX], *action;
        roled_signed_request sr = ROLED_SIGNED_REQUEST_INIT;
        roled_authz_request q = ROLED_AUTHZ_REQUEST_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_authz_result *res = NULL;
        HttpRequest rq;
        roled_status st;
        Object *o;
        int code = read_request(fd, buf, sizeof(buf) - 1, &rq);

        if (code) {
                reply_error(fd, code, code == 400 ? "Bad Request" : "Too Large", "BadRequest",
                            "cannot parse the request");
                return;
        }
        if (strcmp(rq.method, "GET") == 0 || strcmp(rq.method, "HEAD") == 0)
                action = "s3:GetObject";
        else if (strcmp(rq.method, "PUT") == 0)
                action = "s3:PutObject";
        else if (strcmp(rq.method, "DELETE") == 0)
                action = "s3:DeleteObject";
        else {
                reply_error(fd, 405, "Method Not Allowed", "MethodNotAllowed", rq.method);
                return;
        }
        snprintf(resource, sizeof(resource), "arn:aws:s3:::%s", rq.path + 1);
        sr.method = rq.method;
        sr.path = rq.path;
        sr.query = rq.query;
        sr.headers = rq.headers;
        sr.n_headers = rq.n_headers;
        sr.body = rq.body;
        sr.body_len = rq.body_len;
        q.signed_request = &sr;
        q.action = action;
        q.resource = resource;
        q.service = "s3";
        q.region = endpoint_region;
        q.host = endpoint_host;
        q.context = ctx;
        q.n_context = context_from_headers(&rq, ctx, keys, values);
        st = roled_authorize(client, &q, &res, &err);
        if (st != ROLED_OK) {
                bool is_param =
                        st == ROLED_E_INVALID_PARAMETER || st == ROLED_E_INVALID_PARAMETER_VALUE;
                bool is_agent = (int)st < 100;

                reply_error(fd,
                            is_param   ? 400
                            : is_agent ? 403
                                       : 503,
                            is_param   ? "Bad Request"
                            : is_agent ? "Forbidden"
                                       : "Service Unavailable",
                            roled_status_name(st), roled_error_message(&err));
                roled_error_clear(&err);
                return;
        }
        if (roled_authz_result_decision(res) != ROLED_DECISION_ALLOW) {
                const char *reason = roled_authz_result_reason(res);

                if (roled_authz_result_has_match(res))
                        snprintf(msg, sizeof(msg), "%s: role %s, statement %u \"%s\" of %s",
                                 roled_decision_name(roled_authz_result_decision(res)),
                                 roled_authz_result_role(res), roled_authz_result_statement(res),
                                 roled_authz_result_sid(res), roled_authz_result_policy(res));
                else
                        snprintf(msg, sizeof(msg), "%s: role %s, %s",
                                 roled_decision_name(roled_authz_result_decision(res)),
                                 roled_authz_result_role(res),
                                 reason[0] ? reason : "no statement matched");
                roled_authz_result_unref(res);
                reply_error(fd, 403, "Forbidden", "AccessDenied", msg);
                return;
        }
        roled_authz_result_unref(res);
        o = object_find(rq.path + 1);
        if (action[3] == 'P') {
                code = object_put(rq.path + 1, rq.body, rq.body_len);
                if (code)
                        reply_error(fd, 507, "Insufficient Storage", "InternalError",
                                    strerror(-code));
                else
                        reply(fd, 200, "OK", "", 0);
        } else if (!o) {
                reply_error(fd, 404, "Not Found", "NoSuchKey", rq.path);
        } else if (action[3] == 'D') {
                object_delete(o);
                reply(fd, 200, "OK", "", 0);
        } else {
                reply(fd, 200, "OK", o->data, rq.method[0] == 'H' ? 0 : o->len);
        }
}

static void on_term(int sig)
{
        (void)sig;
        is_stopping = 1;
}

int main(int argc, char **argv)
{
        const char *socket_path = NULL;
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sa_len = sizeof(sa);
        struct sigaction act = { .sa_handler = on_term };
        roled_client_options opts = ROLED_CLIENT_OPTIONS_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_client *client;
        roled_status st;
        int lfd, one = 1;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
                        socket_path = argv[++i];
                } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
                        sa.sin_port = htons((uint16_t)atoi(argv[++i]));
                } else if (strcmp(argv[i], "--region") == 0 && i + 1 < argc) {
                        endpoint_region = argv[++i];
                } else {
                        fprintf(stderr, "usage: %s [--socket PATH] [--port N] [--region R]\n",
                                argv[0]);
                        return 2;
                }
        }
        /* Without SA_RESTART, SIGTERM interrupts accept() and the loop ends. */
        sigaction(SIGTERM, &act, NULL);
        sigaction(SIGINT, &act, NULL);
        opts.socket_path = socket_path;
        st = roled_client_connect(&opts, &client, &err);
        if (st != ROLED_OK) {
                fprintf(stderr, "objstore: %s\n", roled_error_message(&err));
                roled_error_clear(&err);
                return 1;
        }
        object_put("bucket/public/hello", "hello world\n", 12);
        object_put("bucket/private/plans", "secret plans\n", 13);
        object_put("bucket/tagged/blue", "blue\n", 5);
        lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0 ||
            getsockname(lfd, (struct sockaddr *)&sa, &sa_len) < 0) {
                perror("objstore: listen");
                roled_client_close(client);
                return 1;
        }
        snprintf(endpoint_host, sizeof(endpoint_host), "127.0.0.1:%u",
                 (unsigned)ntohs(sa.sin_port));
        printf("listening on %s\n", endpoint_host);
        fflush(stdout);
        while (!is_stopping) {
                struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
                int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

                if (fd < 0)
                        continue;
                /* One connection at a time: a stalled client must not hold the service forever. */
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
                serve(fd, client);
                close(fd);
        }
        close(lfd);
        roled_client_close(client);
        for (size_t i = 0; i < OBJECTS_MAX; i++)
                if (objects[i].key)
                        object_delete(&objects[i]);
        return 0;
}
