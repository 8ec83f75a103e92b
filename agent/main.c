/* SPDX-License-Identifier: MIT */
/*
 * main.c - the only main(): arguments, configuration, hardening, keys, the
 * listening socket and the loop; teardown in reverse order.  Everything a
 * request does lives in the modules; this file only wires them together.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "agent.h"
#include "configcheck.h"
#include "conn.h"
#include "exehash.h"
#include "flights.h"
#include "hashq.h"
#include "harden.h"
#include "config.h"
#include "configlint.h"
#include "issuer.h"
#include "keys.h"
#include "log.h"
#include "loginfile.h"
#include "logins.h"
#include "namecache.h"
#include "policystore.h"
#include "reload.h"
#include "revfile.h"
#include "revocations.h"
#include "sessions.h"
#include "tokencache.h"
#include "util.h"

#define SWEEP_INTERVAL_MS (60 * 1000)

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: roled [OPTIONS]\n"
                "Local credential agent: hands short-lived, AWS-shaped credentials for\n"
                "configured roles to local processes over a Unix socket.\n\n"
                "  --user             run as a per-user agent (socket in $XDG_RUNTIME_DIR/roled,\n"
                "                     configuration in $XDG_CONFIG_HOME/roled)\n"
                "  --config PATH      configuration directory, or a roled.ini file\n"
                "  --socket PATH      listen on PATH instead of the mode's default\n"
                "  --check-config     load the configuration, report problems, and exit\n"
                "  --log-level LEVEL  error, warning, info (default) or debug\n"
                "  --version          print the version and exit\n"
                "  --help             print this help and exit\n\n"
                "System mode (default): socket %s/roled.sock, configuration in %s,\n"
                "keys in %s.\n"
                "With no configuration in the mode's location, roled serves an embedded default:\n"
                "one role 'default' (local issuer) that only the uid running roled may assume.\n"
                "Signals: SIGTERM/SIGINT stop; SIGHUP reloads the configuration.\n",
                ROLED_RUNDIR, ROLED_SYSCONFDIR, ROLED_STATEDIR);
}

/* Create the parents of the key directory (0700), as ssh-keygen does for ~/.ssh. */
static int make_parents(const char *path)
{
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                if (mkdir(p, 0700) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

static void on_stop_signal(uv_signal_t *s, int signum)
{
        Agent *a = s->data;

        log_info("received %s, shutting down", strsignal(signum));
        a->is_stopping = true;
        listener_close(&a->listener);
        conn_close_all(a);
        /* Pending upstream calls end here; their handles close while the loop drains. */
        issuers_fini(a);
        /* Connections waiting for a hash hold a reference until the queue cancels them. */
        hashq_close(a->hashq);
        a->hashq = NULL;
        localfs_close(&a->localfs);
        uv_close((uv_handle_t *)&a->sig_term, NULL);
        uv_close((uv_handle_t *)&a->sig_int, NULL);
        uv_close((uv_handle_t *)&a->sig_hup, NULL);
        uv_close((uv_handle_t *)&a->sweep, NULL);
}

static void on_hup(uv_signal_t *s, int signum)
{
        Agent *a = s->data;
        char why[512];
        int r;

        (void)signum;
        r = agent_reload(a, why, sizeof(why));
        if (r)
                log_error("reload rejected, the old configuration keeps serving: %s", why);
}

static void on_sweep(uv_timer_t *t)
{
        Agent *a = t->data;

        sessions_expire(a->sessions, agent_now(a));
        revocation_expire(a->revoked, agent_now(a));
        policy_store_expire(a->session_policies, agent_now(a));
        keys_prune(a->keys, agent_now(a));
}

static void print_config_warning(void *userdata, const char *warning)
{
        (void)userdata;
        printf("warning: %s\n", warning);
}

static void on_connection(void *userdata, uv_stream_t *server)
{
        conn_accept(userdata, server);
}

/*
 * Room for one more connection?  Each served one costs at most FDS_PER_CONN
 * descriptors (the socket, the pidfd, the /proc/PID directory, a /proc
 * file being read, the executable, the hash job's dup, and one to spare),
 * a parked one (conn.c) only its socket, and its pidfd on a kernel without
 * SO_PEERPIDFD (n_parked_pinned), a closed one nothing (conn.c gives
 * its descriptors back at once) unless its attestation is still in the
 * thread pool or its executable is still being hashed, and
 * FDS_RESERVED stay free for keys, configuration reloads and libuv;
 * attestations in flight are capped so a flood of connections cannot queue
 * unbounded work in the thread pool.  Parked connections may hold at most a
 * quarter of the descriptors, sockets and pidfds counted alike
 * (max_parked_fds; conn.c answers the rest at once), so one uid's waiting
 * connections cannot stop the agent from accepting other uids'.
 */
#define FDS_PER_CONN 7
#define FDS_RESERVED 64
#define ATTESTING_MAX 128

static bool may_accept(void *userdata)
{
        const Agent *a = userdata;
        /* Attestations still in the thread pool hold descriptors after their connection closed. */
        size_t served = a->n_conns - a->n_parked + a->n_attesting_closed;
        /* So do hash jobs (one dup each, at most HASHQ_JOBS_MAX): counted whoever waits on them. */
        HashqStats hs = { 0 };

        if (a->hashq)
                hashq_stats(a->hashq, &hs);
        return a->n_attesting < ATTESTING_MAX && (served + 1) * FDS_PER_CONN + a->n_parked +
                                                                 a->n_parked_pinned + hs.n_active +
                                                                 FDS_RESERVED <=
                                                         a->max_fds;
}

static void agent_deinit(Agent *a)
{
        a->flights = flights_free(a->flights);
        a->sessions = sessions_free(a->sessions);
        a->revoked = revocation_free(a->revoked);
        free(a->key_dir);
        a->keys = keys_free(a->keys);
        a->exehash = exehash_cache_free(a->exehash);
        a->access = access_policies_free(a->access);
        a->session_policies = policy_store_free(a->session_policies);
        a->tokens = tokencache_free(a->tokens);
        a->logins = logins_free(a->logins);
        a->names = namecache_free(a->names);
        a->config = config_free(a->config);
        uidcount_deinit(&a->conns_per_uid);
        uidcount_deinit(&a->parked_per_uid);
        free(a->config_path);
        free(a->socket_path);
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "user", no_argument, NULL, 'u' },
                { "config", required_argument, NULL, 'c' },
                { "socket", required_argument, NULL, 's' },
                { "check-config", no_argument, NULL, 'C' },
                { "log-level", required_argument, NULL, 'l' },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        Agent a = { .clock = CLOCK_SYSTEM, .localfs = LOCALFS_INIT };
        uv_loop_t loop;
        bool is_check = false;
        size_t n_lint = 0;
        const char *config_arg = NULL, *socket_arg = NULL;
        char why[1024], *err = NULL;
        int opt, r, level = -1;

        while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
                switch (opt) {
                case 'u':
                        a.is_user_mode = true;
                        break;
                case 'c':
                        config_arg = optarg;
                        break;
                case 's':
                        socket_arg = optarg;
                        break;
                case 'C':
                        is_check = true;
                        break;
                case 'l':
                        level = log_parse_level(optarg);
                        if (level < 0) {
                                fprintf(stderr, "roled: unknown log level '%s'\n", optarg);
                                return 2;
                        }
                        log_set_level(level);
                        break;
                case 'V':
                        printf("roled %s (protocol %d)\n", ROLED_VERSION, PROTO_VERSION);
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "roled: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }

        if (sodium_init() < 0) {
                fprintf(stderr, "roled: cannot initialise libsodium\n");
                return 1;
        }
        a.uid = getuid();
        a.started = agent_now(&a);
        if (config_arg) {
                a.config_path = strdup(config_arg);
                if (!a.config_path)
                        return 1;
        }

        r = agent_load_config(&a, why, sizeof(why));
        if (r) {
                fprintf(stderr, "roled: %s\n", why);
                agent_deinit(&a);
                return 1;
        }
        if (is_check) {
                printf("%s: configuration OK (%zu role%s)\n",
                       a.config->is_default_embedded ? "embedded default" : a.config->path,
                       a.config->n_roles, a.config->n_roles == 1 ? "" : "s");
                if (agent_config_warning(&a, why, sizeof(why)))
                        printf("warning: %s\n", why);
                /* The linter's warnings too: a document may load and still grant too much. */
                if (configlint_print(a.config, stdout, &n_lint) < 0)
                        printf("warning: out of memory while linting the policies\n");
                {
                        _cleanup_(configcheck_names_freep) ConfigcheckNames *names = NULL;

                        if (configcheck_names_new(a.config, &names) < 0) {
                                printf("warning: out of memory while checking the configuration\n");
                        } else {
                                configcheck_names_resolve(names);
                                (void)configcheck_run(a.config, a.access, names,
                                                      print_config_warning, NULL);
                        }
                }
                agent_deinit(&a);
                return 0;
        }
        if (level < 0)
                log_set_level(config_log_level_priority(a.config->log_level));

        r = harden_process();
        if (r < 0) {
                fprintf(stderr, "roled: cannot harden the process: %s\n", strerror(-r));
                agent_deinit(&a);
                return 1;
        }
        signal(SIGPIPE, SIG_IGN);
        r = harden_raise_nofile(&a.max_fds);
        if (r < 0)
                log_warning("cannot raise the descriptor limit: %s", strerror(-r));
        a.max_parked_fds = a.max_fds > FDS_RESERVED ? (a.max_fds - FDS_RESERVED) / 4 : 0;

        if (socket_arg)
                a.socket_path = strdup(socket_arg);
        else if (a.config->socket)
                a.socket_path = strdup(a.config->socket);
        if (!a.socket_path && !getenv("LISTEN_FDS")) {
                fprintf(stderr,
                        "roled: no socket path: XDG_RUNTIME_DIR is not set (use --socket)\n");
                agent_deinit(&a);
                return 1;
        }

        (void)make_parents(a.config->key_dir);
        r = keys_load(&a.keys, a.config->key_dir, agent_now(&a), &err);
        if (r) {
                fprintf(stderr, "roled: %s\n", err ? err : strerror(-r));
                free(err);
                agent_deinit(&a);
                return 1;
        }
        if (sessions_new(&a.sessions) < 0 || revocation_new(&a.revoked) < 0 ||
            policy_store_new(&a.session_policies, (size_t)a.config->session_policy_bytes_max,
                             (size_t)a.config->session_policy_uid_bytes_max) < 0 ||
            tokencache_new(&a.tokens) < 0 || flights_new(&a, &a.flights) < 0 ||
            logins_new(&a.logins) < 0 || namecache_new(&a.names) < 0 ||
            exehash_cache_new(&a.exehash, EXEHASH_CACHE_ENTRIES_DEFAULT) < 0) {
                fprintf(stderr, "roled: out of memory\n");
                agent_deinit(&a);
                return 1;
        }
        /* Revocations outlive the process, so a restart never revives a revoked session. */
        a.key_dir = strdup(a.config->key_dir);
        r = a.key_dir ? revfile_load(a.key_dir, a.revoked, agent_now(&a), &err) : -ENOMEM;
        if (r) {
                fprintf(stderr, "roled: %s\n", err ? err : strerror(-r));
                free(err);
                agent_deinit(&a);
                return 1;
        }
        /*
         * Logins outlive the process too, so a login that closes after a
         * restart still ends its sessions.  A list that cannot be read only
         * costs that: the agent starts without it and says so.
         */
        r = loginfile_load(a.key_dir, a.logins, &err);
        if (r == LOGINFILE_E_OTHER_BOOT)
                log_info("%s: its logins ended with that boot", err ? err : LOGINFILE_NAME);
        else if (r && r != -ENOMEM)
                log_warning("%s; logins begun before this start will not end their sessions",
                            err ? err : strerror(-r));
        else if (!r && logins_count(a.logins))
                log_info("%zu logins restored from %s/%s", logins_count(a.logins), a.key_dir,
                         LOGINFILE_NAME);
        /* What was read of a list that is not loaded is dropped: the agent starts with none. */
        if (r && r != -ENOMEM) {
                a.logins = logins_free(a.logins);
                r = logins_new(&a.logins);
        }
        if (r == -ENOMEM) {
                fprintf(stderr, "roled: out of memory\n");
                free(err);
                agent_deinit(&a);
                return 1;
        }
        free(err);
        err = NULL;

        uv_loop_init(&loop);
        a.loop = &loop;
        r = issuers_init(&a);
        if (r < 0) {
                fprintf(stderr, "roled: starting the issuers: %s\n", strerror(-r));
                uv_run(&loop, UV_RUN_DEFAULT);
                uv_loop_close(&loop);
                agent_deinit(&a);
                return 1;
        }
        r = hashq_new(&a.hashq, &loop, a.exehash, a.config->exe_hash_max_size);
        if (r < 0) {
                fprintf(stderr, "roled: cannot start the hash queue: %s\n", strerror(-r));
                issuers_fini(&a);
                uv_run(&loop, UV_RUN_DEFAULT);
                uv_loop_close(&loop);
                agent_deinit(&a);
                return 1;
        }
        r = localfs_open(&a.localfs, &loop);
        if (r < 0)
                log_warning("cannot watch the mount table: %s; attesting every caller in the "
                            "thread pool",
                            uv_strerror(r));
        a.listener.on_connection = on_connection;
        a.listener.may_accept = may_accept;
        a.listener.userdata = &a;
        r = listener_open(&a.listener, &loop, a.socket_path, !a.is_user_mode, why, sizeof(why));
        if (r) {
                fprintf(stderr, "roled: %s\n", r < 0 && !*why ? uv_strerror(r) : why);
                listener_close(&a.listener);
                localfs_close(&a.localfs);
                issuers_fini(&a);
                hashq_close(a.hashq);
                a.hashq = NULL;
                uv_run(&loop, UV_RUN_DEFAULT);
                uv_loop_close(&loop);
                agent_deinit(&a);
                return 1;
        }
        uv_signal_init(&loop, &a.sig_term);
        uv_signal_init(&loop, &a.sig_int);
        uv_signal_init(&loop, &a.sig_hup);
        a.sig_term.data = a.sig_int.data = a.sig_hup.data = &a;
        uv_signal_start(&a.sig_term, on_stop_signal, SIGTERM);
        uv_signal_start(&a.sig_int, on_stop_signal, SIGINT);
        uv_signal_start(&a.sig_hup, on_hup, SIGHUP);
        uv_timer_init(&loop, &a.sweep);
        a.sweep.data = &a;
        uv_timer_start(&a.sweep, on_sweep, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS);
        uv_unref((uv_handle_t *)&a.sweep);

        log_info("descriptor limit %lu: room for %lu served connections", a.max_fds,
                 a.max_fds > FDS_RESERVED ? (a.max_fds - FDS_RESERVED) / FDS_PER_CONN : 0);
        log_info("roled %s serving %zu role(s) from %s on %s (%s mode)", ROLED_VERSION,
                 a.config->n_roles,
                 a.config->is_default_embedded ? "the embedded default" : a.config->path,
                 a.listener.path ? a.listener.path : "the socket passed by systemd",
                 a.is_user_mode ? "user" : "system");
        if (agent_config_warning(&a, why, sizeof(why)))
                log_warning("%s", why);
        agent_check_config(&a);

        uv_run(&loop, UV_RUN_DEFAULT);
        /* Drain: close callbacks of connections and handles run here. */
        uv_run(&loop, UV_RUN_DEFAULT);
        r = uv_loop_close(&loop);
        if (r < 0)
                log_warning("event loop closed with handles open: %s", uv_strerror(r));
        agent_deinit(&a);
        log_info("stopped");
        return 0;
}
