/* SPDX-License-Identifier: MIT */
/*
 * listener.h - the agent's listening socket: directory checks, stale-socket
 * replacement, bind (or a socket handed over by systemd through LISTEN_FDS),
 * and accept.  What happens with an accepted connection is conn.c's business.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

enum {
        LISTENER_E_IN_USE = 1, /* another agent answers on the socket path */
        LISTENER_E_PATH, /* the path is too long, or not a socket, or its directory is unsafe */
};

/* How long a deferred accept waits before the listener asks again whether there is room. */
#define LISTENER_BACKOFF_MS 20
/*
 * Connections taken per loop iteration.  libuv accepts until the backlog is
 * empty; under a stream of fresh connections (credential_process calls) it
 * would never get to the hang-ups of the connections it has answered, which
 * then count against their uid until the connections behind them park.
 */
#define LISTENER_ACCEPT_BURST 16

typedef struct Listener {
        uv_pipe_t pipe;
        uv_timer_t backoff;         /* offers a deferred connection again */
        uv_check_t next_burst;      /* after the poll: offers a held connection again */
        unsigned n_burst;           /* connections taken since the last check phase */
        bool is_held;               /* one is held until then (LISTENER_ACCEPT_BURST) */
        char *path;                 /* NULL when socket-activated */
        bool is_activated;          /* from LISTEN_FDS: systemd owns the path */
        bool is_passcred_inherited; /* conn.c: an accepted socket came with SO_PASSCRED from the
                                       listener */
        bool is_open;
        bool is_deferred; /* a connection waits in the kernel until there is room */
        void (*on_connection)(void *userdata, uv_stream_t *server);
        /*
         * may_accept: NULL, or false while the agent has no room for another
         * connection (descriptors near the limit, too many attestations in
         * flight).  The connection is then left in the kernel's backlog, the
         * listening socket is not watched (libuv stops while an accepted
         * connection is not taken), and the backoff timer asks again: the
         * agent never spins on accept() and EMFILE, and keeps serving the
         * connections it has.
         */
        bool (*may_accept)(void *userdata);
        void *userdata;
} Listener;

/*
 * listener_open() - bind and listen.
 * @l: zeroed listener storage (must not move while open)
 * @loop: the event loop
 * @path: socket path (ignored when LISTEN_FDS hands us a socket)
 * @is_shared: true in system mode (directory 0755, socket 0666), false in user mode (0700)
 * @errbuf: a reason for the user on failure
 *
 * Return: 0, LISTENER_E_IN_USE, LISTENER_E_PATH, or -errno.
 */
int listener_open(Listener *l, uv_loop_t *loop, const char *path, bool is_shared, char *errbuf,
                  size_t errlen);

/*
 * listener_defer() - the connection offered to on_connection was not taken
 * (no memory for it): it waits in the kernel, and it is offered again after
 * LISTENER_BACKOFF_MS.  Without a uv_accept() libuv no longer watches the
 * socket, so this is the only way it is taken.
 */
void listener_defer(Listener *l);

/* listener_close() - stop listening and remove the socket file we created. */
void listener_close(Listener *l);

/*
 * listener_activation_fd() - the socket passed by systemd socket activation
 * (LISTEN_PID == getpid(), LISTEN_FDS >= 1), or -1.  Clears the variables.
 */
int listener_activation_fd(void);
