/* SPDX-License-Identifier: MIT */
/*
 * mfa.c - run mfa_process for a code (see mfa.h).
 *
 * Lifetime: the MfaRun owns three handles (process, stdout pipe, timer) and
 * is freed when the last of them has closed.  It finishes once the process
 * has exited and its stdout reached EOF (or on timeout or cancel), calls
 * done exactly once, then closes the handles.
 */
#include "mfa.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct MfaRun {
        uv_process_t process;
        uv_pipe_t out;
        uv_timer_t timer;
        unsigned n_open; /* handles not yet closed */
        bool has_exited, has_eof, is_done;
        int64_t exit_status;
        int term_signal;
        char buf[MFA_OUTPUT_MAX + 1];
        size_t len;
        bool is_too_long;
        MfaDone done;
        void *userdata;
};

static void on_closed(uv_handle_t *h)
{
        MfaRun *m = h->data;

        if (--m->n_open == 0) {
                sodium_memzero(m->buf, sizeof(m->buf));
                free(m);
        }
}

static void finish(MfaRun *m, int r, const char *why)
{
        char code[7] = "";

        if (m->is_done)
                return;
        m->is_done = true;
        if (r == 0) {
                /* Six digits, then nothing but a line end. */
                size_t n = strspn(m->buf, "0123456789");

                if (n == 6 && strspn(m->buf + 6, "\r\n") == m->len - 6) {
                        memcpy(code, m->buf, 6);
                        code[6] = '\0';
                } else {
                        r = MFA_E_FAILED;
                        why = "its output is not a six-digit code";
                }
        }
        m->done(m->userdata, r, r == 0 ? code : NULL, why);
        sodium_memzero(code, sizeof(code));
        if (!m->has_exited)
                uv_process_kill(&m->process, SIGKILL);
        uv_close((uv_handle_t *)&m->out, on_closed);
        uv_close((uv_handle_t *)&m->timer, on_closed);
        /* The process handle closes once it has exited (on_exit), so it is reaped. */
        if (m->has_exited)
                uv_close((uv_handle_t *)&m->process, on_closed);
}

static void maybe_finish(MfaRun *m)
{
        char why[96];

        if (!m->has_exited || !m->has_eof)
                return;
        if (m->term_signal) {
                snprintf(why, sizeof(why), "it was killed by signal %d", m->term_signal);
                finish(m, MFA_E_FAILED, why);
        } else if (m->exit_status != 0) {
                snprintf(why, sizeof(why), "it exited with status %lld", (long long)m->exit_status);
                finish(m, MFA_E_FAILED, why);
        } else if (m->is_too_long) {
                finish(m, MFA_E_FAILED, "its output is too long for a code");
        } else {
                finish(m, 0, NULL);
        }
}

static void on_exit_cb(uv_process_t *p, int64_t status, int term_signal)
{
        MfaRun *m = p->data;

        m->has_exited = true;
        m->exit_status = status;
        m->term_signal = term_signal;
        if (m->is_done)
                uv_close((uv_handle_t *)&m->process, on_closed);
        else
                maybe_finish(m);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
        MfaRun *m = h->data;

        (void)suggested;
        if (m->len >= MFA_OUTPUT_MAX) {
                /* Keep reading into a scratch byte so the pipe drains; the output is refused. */
                static char scratch[64];

                m->is_too_long = true;
                *b = uv_buf_init(scratch, sizeof(scratch));
                return;
        }
        *b = uv_buf_init(m->buf + m->len, (unsigned)(MFA_OUTPUT_MAX - m->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
        MfaRun *m = s->data;

        (void)b;
        if (n > 0 && !m->is_too_long) {
                m->len += (size_t)n;
                m->buf[m->len] = '\0';
        }
        if (n < 0) {
                uv_read_stop(s);
                m->has_eof = true;
                maybe_finish(m);
        }
}

static void on_timeout(uv_timer_t *t)
{
        finish(t->data, MFA_E_FAILED, "it did not answer within a minute");
}

int mfa_run(uv_loop_t *loop, const char *command, MfaDone done, void *userdata, MfaRun **runp)
{
        char *copy, *save = NULL, *argv[MFA_ARGS_MAX + 1];
        char *env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
        uv_stdio_container_t stdio[3];
        uv_process_options_t o;
        size_t n = 0;
        MfaRun *m;
        int r;

        copy = strdup(command);
        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (n == MFA_ARGS_MAX) {
                        free(copy);
                        return -EINVAL;
                }
                argv[n++] = w;
        }
        argv[n] = NULL;
        if (n == 0) {
                free(copy);
                return -EINVAL;
        }
        m = calloc(1, sizeof(*m));
        if (!m) {
                free(copy);
                return -ENOMEM;
        }
        m->done = done;
        m->userdata = userdata;
        uv_pipe_init(loop, &m->out, 0);
        uv_timer_init(loop, &m->timer);
        m->out.data = m->timer.data = m->process.data = m;
        stdio[0] = (uv_stdio_container_t){ .flags = UV_IGNORE };
        stdio[1] = (uv_stdio_container_t){ .flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE,
                                           .data.stream = (uv_stream_t *)&m->out };
        stdio[2] = (uv_stdio_container_t){ .flags = UV_INHERIT_FD, .data.fd = 2 };
        o = (uv_process_options_t){
                .exit_cb = on_exit_cb,
                .file = argv[0],
                .args = argv,
                .env = env,
                .stdio_count = 3,
                .stdio = stdio,
        };
        r = uv_spawn(loop, &m->process, &o);
        free(copy);
        if (r < 0) {
                /* A failed spawn still initialised the process handle: close all three. */
                m->is_done = true;
                m->n_open = 3;
                uv_close((uv_handle_t *)&m->process, on_closed);
                uv_close((uv_handle_t *)&m->out, on_closed);
                uv_close((uv_handle_t *)&m->timer, on_closed);
                return r;
        }
        m->n_open = 3;
        uv_read_start((uv_stream_t *)&m->out, on_alloc, on_read);
        uv_timer_start(&m->timer, on_timeout, MFA_TIMEOUT_MS, 0);
        *runp = m;
        return 0;
}

void mfa_cancel(MfaRun *run)
{
        finish(run, -ECANCELED, "the agent is stopping");
}
