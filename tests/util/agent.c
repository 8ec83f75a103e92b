/* SPDX-License-Identifier: MIT */
/*
 * agent.c - the integration/security test harness (see agent.h): private
 * folders, config files, the agent spawner, uid switching and raw
 * MessagePack-RPC sockets.  It knows nothing about what a test asserts.
 */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t main_pid;
static char base_dir[64];
static unsigned n_paths;
static const char *roled_bin, *rolectl_bin;

void test_log(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "# ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "%s:%d: FAIL%s: ", file, line, getpid() == main_pid ? "" : " (child)");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        fflush(NULL);
        if (getpid() != main_pid)
                _exit(1);
        exit(1);
}

void test_skip(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "SKIP: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        fflush(NULL);
        if (getpid() != main_pid)
                _exit(77);
        exit(77);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        (void)remove(path);
        return 0;
}

/* Agents still running when the test ends (a failed CHECK) are killed, not left behind. */
static pid_t live_agents[16];

static void track(pid_t pid, bool is_live)
{
        for (size_t i = 0; i < sizeof(live_agents) / sizeof(live_agents[0]); i++)
                if (is_live ? live_agents[i] == 0 : live_agents[i] == pid) {
                        live_agents[i] = is_live ? pid : 0;
                        return;
                }
}

static void cleanup(void)
{
        if (getpid() != main_pid)
                return;
        for (size_t i = 0; i < sizeof(live_agents) / sizeof(live_agents[0]); i++)
                if (live_agents[i] > 0) {
                        (void)kill(live_agents[i], SIGKILL);
                        (void)waitpid(live_agents[i], NULL, 0);
                }
        if (!base_dir[0])
                return;
        (void)nftw(base_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void test_init(int argc, char **argv)
{
        main_pid = getpid();
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc < 3)
                test_fail(__FILE__, __LINE__, "usage: %s ROLED ROLECTL", argv[0]);
        roled_bin = argv[1];
        rolectl_bin = argv[2];
        if (geteuid() != 0)
                TEST_SKIP("needs root (system-mode agent, uid switching)");
        if (!getpwuid(UID_ALICE) || !getpwuid(UID_BOB) || !getpwuid(UID_CAROL) ||
            !getgrgid(GID_OPS))
                TEST_SKIP("test users missing (run tests/util/setup-users)");
        signal(SIGPIPE, SIG_IGN);
        atexit(cleanup);
}

const char *test_roled(void)
{
        return roled_bin;
}

const char *test_rolectl(void)
{
        return rolectl_bin;
}

const char *test_dir(void)
{
        if (!base_dir[0]) {
                char io[128];

                strcpy(base_dir, "/tmp/roled-test.XXXXXX");
                CHECK(mkdtemp(base_dir));
                CHECK(chmod(base_dir, 0755) == 0);
                /* Where run_cmd() keeps output, also when the caller is a test user. */
                snprintf(io, sizeof(io), "%s/io", base_dir);
                CHECK(mkdir(io, 0755) == 0 && chmod(io, 01777) == 0);
        }
        return base_dir;
}

const char *test_path(const char *what)
{
        static char paths[64][160];
        char *p = paths[n_paths % 64];

        /* The pid keeps forked children that make paths at once from sharing one. */
        snprintf(p, sizeof(paths[0]), "%s/%s.%d.%u", test_dir(), what, (int)getpid(), n_paths);
        n_paths++;
        return p;
}

char *read_file(const char *path)
{
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t len = 0, size = 0;

        if (!f)
                return NULL;
        for (;;) {
                if (size - len < 4096) {
                        size = size ? size * 2 : 8192;
                        buf = realloc(buf, size);
                        CHECK(buf);
                }
                size_t n = fread(buf + len, 1, size - len - 1, f);

                len += n;
                if (n == 0)
                        break;
        }
        fclose(f);
        buf[len] = '\0';
        return buf;
}

void write_file(const char *path, mode_t mode, const char *text)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        size_t len = strlen(text);

        CHECK_MSG(fd >= 0, "cannot create %s: %s", path, strerror(errno));
        CHECK(write(fd, text, len) == (ssize_t)len);
        CHECK(fchmod(fd, mode) == 0);
        close(fd);
}

void file_sha256_hex(const char *path, char hex[65])
{
        crypto_hash_sha256_state st;
        uint8_t buf[65536], d[crypto_hash_sha256_BYTES];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        CHECK_MSG(fd >= 0, "cannot open %s: %s", path, strerror(errno));
        crypto_hash_sha256_init(&st);
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                crypto_hash_sha256_update(&st, buf, (size_t)n);
        CHECK(n == 0);
        crypto_hash_sha256_final(&st, d);
        sodium_bin2hex(hex, 65, d, sizeof(d));
        close(fd);
}

const char *config_new(const char *agent_extra)
{
        static char dirs[16][160];
        static unsigned n;
        char *dir = dirs[n++ % 16];
        char path[300], text[2048], keys[200];

        snprintf(dir, sizeof(dirs[0]), "%s", test_path("config"));
        CHECK(mkdir(dir, 0755) == 0);
        snprintf(path, sizeof(path), "%s/roles.d", dir);
        CHECK(mkdir(path, 0755) == 0);
        snprintf(keys, sizeof(keys), "%s/keys", test_dir());
        snprintf(text, sizeof(text), "[agent]\nkey_dir = %s\n%s", keys,
                 agent_extra ? agent_extra : "");
        snprintf(path, sizeof(path), "%s/roled.ini", dir);
        write_file(path, 0644, text);
        return dir;
}

void config_put(const char *config_dir, const char *relpath, const char *fmt, ...)
{
        char path[512], *text;
        va_list ap;

        va_start(ap, fmt);
        CHECK(vasprintf(&text, fmt, ap) >= 0);
        va_end(ap);
        snprintf(path, sizeof(path), "%s/%s", config_dir, relpath);
        write_file(path, 0644, text);
        free(text);
}

int wait_status(pid_t pid)
{
        int st;

        while (waitpid(pid, &st, 0) < 0)
                CHECK(errno == EINTR);
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        return 128 + WTERMSIG(st);
}

/* Reap @pid if it exited within @ms; Return: its status, or -1 if still running. */
static int wait_for_exit(pid_t pid, int ms)
{
        for (int i = 0; i <= ms / 10; i++) {
                int st;
                pid_t r = waitpid(pid, &st, WNOHANG);

                if (r == pid)
                        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                CHECK(r == 0 || (r < 0 && errno == EINTR));
                usleep(10 * 1000);
        }
        return -1;
}

static void exec_agent(const char *config_dir, const AgentOpts *o, TestAgent *a)
{
        const char *argv[12];
        int n = 0, fd;

        fd = open(a->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
                _exit(126);
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || dup2(fd, 0) < 0)
                _exit(126);
        if (o->is_private_var_lib) {
                /* The system key folder is /var/lib/roled: give the agent a private /var/lib. */
                char varlib[200];

                snprintf(varlib, sizeof(varlib), "%s/varlib", test_dir());
                if (unshare(CLONE_NEWNS) < 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount(varlib, "/var/lib", NULL, MS_BIND, NULL) < 0) {
                        fprintf(stderr, "cannot make a private /var/lib: %s\n", strerror(errno));
                        _exit(77);
                }
        }
        become(o->uid);
        argv[n++] = roled_bin;
        argv[n++] = "--config";
        argv[n++] = config_dir;
        if (o->log_level) {
                argv[n++] = "--log-level";
                argv[n++] = o->log_level;
        }
        if (o->listen_fd >= 0) {
                char pid[32];

                if (dup2(o->listen_fd, 3) < 0)
                        _exit(126);
                (void)fcntl(3, F_SETFD, 0);
                snprintf(pid, sizeof(pid), "%d", (int)getpid());
                setenv("LISTEN_PID", pid, 1);
                setenv("LISTEN_FDS", "1", 1);
        } else {
                argv[n++] = "--socket";
                argv[n++] = a->socket;
        }
        argv[n] = NULL;
        unsetenv("ROLED_SOCKET");
        if (o->preload) {
                const char *asan = getenv("ASAN_OPTIONS");
                char asan_opts[1024];

                snprintf(asan_opts, sizeof(asan_opts), "%s%sverify_asan_link_order=0",
                         asan ? asan : "", asan ? ":" : "");
                setenv("ASAN_OPTIONS", asan_opts, 1);
                setenv("LD_PRELOAD", o->preload, 1);
        }
        for (size_t i = 0; o->env && o->env[i]; i++)
                putenv((char *)o->env[i]);
        execv(roled_bin, (char **)argv);
        _exit(127);
}

static void start(const char *config_dir, const AgentOpts *o, TestAgent *a)
{
        if (!config_dir) {
                config_dir = test_path("empty-config");
                CHECK(mkdir(config_dir, 0755) == 0);
        }
        if (o->is_private_var_lib) {
                char varlib[200];

                snprintf(varlib, sizeof(varlib), "%s/varlib", test_dir());
                CHECK(mkdir(varlib, 0755) == 0 || errno == EEXIST);
        }
        snprintf(a->config, sizeof(a->config), "%s", config_dir);
        if (!a->socket[0])
                snprintf(a->socket, sizeof(a->socket), "%s", test_path("roled.sock"));
        snprintf(a->log, sizeof(a->log), "%s", test_path("agent-log"));
        a->is_activated = o->listen_fd >= 0;
        fflush(NULL);
        a->pid = fork();
        CHECK(a->pid >= 0);
        if (a->pid == 0)
                exec_agent(config_dir, o, a);
        track(a->pid, true);
}

void agent_spawn_opts(const char *config_dir, const AgentOpts *o, TestAgent *a)
{
        start(config_dir, o, a);
        if (o->is_no_wait)
                return;
        for (int i = 0; i < 1000; i++) {
                int st = wait_for_exit(a->pid, 0), fd;

                if (st >= 0) {
                        char *log = agent_log(a);

                        track(a->pid, false);
                        a->pid = 0;
                        if (st == 77)
                                TEST_SKIP("%s", log ? log : "agent could not be set up");
                        test_fail(__FILE__, __LINE__, "roled exited with %d before listening: %s",
                                  st, log ? log : "");
                }
                fd = raw_try_connect(a->socket);
                if (fd >= 0) {
                        close(fd);
                        return;
                }
                usleep(10 * 1000);
        }
        test_fail(__FILE__, __LINE__, "roled did not listen on %s within 10 s", a->socket);
}

void agent_spawn(const char *config_dir, TestAgent *a)
{
        AgentOpts o = AGENT_OPTS_INIT;

        agent_spawn_opts(config_dir, &o, a);
}

void agent_spawn_preloaded(const char *config_dir, const char *preload, const char *const *env,
                           TestAgent *a)
{
        AgentOpts o = AGENT_OPTS_INIT;

        o.preload = preload;
        o.env = env;
        agent_spawn_opts(config_dir, &o, a);
}

int agent_run_fail(const char *config_dir, const AgentOpts *o, TestAgent *a, char **logp)
{
        int st;

        start(config_dir, o, a);
        st = wait_for_exit(a->pid, 10000);
        if (st < 0) {
                agent_kill(a);
                test_fail(__FILE__, __LINE__, "roled kept running; expected it to refuse to start");
        }
        track(a->pid, false);
        a->pid = 0;
        if (logp)
                *logp = agent_log(a);
        return st;
}

void agent_stop(TestAgent *a)
{
        int st;

        CHECK(a->pid > 0);
        CHECK(kill(a->pid, SIGTERM) == 0);
        st = wait_for_exit(a->pid, 10000);
        if (st < 0) {
                agent_kill(a);
                test_fail(__FILE__, __LINE__, "roled did not stop within 10 s of SIGTERM");
        }
        track(a->pid, false);
        a->pid = 0;
        CHECK_MSG(st == 0, "roled exited with %d after SIGTERM", st);
        if (a->is_activated)
                return;
        CHECK_MSG(access(a->socket, F_OK) < 0 && errno == ENOENT, "roled left its socket %s",
                  a->socket);
}

void agent_kill(TestAgent *a)
{
        if (a->pid <= 0)
                return;
        (void)kill(a->pid, SIGKILL);
        (void)wait_status(a->pid);
        track(a->pid, false);
        a->pid = 0;
}

char *agent_log(const TestAgent *a)
{
        return read_file(a->log);
}

char *agent_log_with(const TestAgent *a, const char *needle)
{
        char *log = agent_log(a);

        for (int i = 0; i < 1000 && (!log || !strstr(log, needle)); i++) {
                free(log);
                usleep(10 * 1000);
                log = agent_log(a);
        }
        return log;
}

long agent_rss_kb(const TestAgent *a)
{
        char path[64], *text, *p;
        long kb = -1;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)a->pid);
        text = read_file(path);
        CHECK(text);
        p = strstr(text, "VmRSS:");
        if (p)
                kb = strtol(p + 6, NULL, 10);
        free(text);
        CHECK(kb > 0);
        return kb;
}

bool agent_alive(const TestAgent *a)
{
        char path[64], *text, *p;
        bool is_alive;

        if (a->pid <= 0 || kill(a->pid, 0) < 0)
                return false;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)a->pid);
        text = read_file(path);
        if (!text)
                return false;
        p = strrchr(text, ')');
        is_alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
        free(text);
        return is_alive;
}

void become(uid_t uid)
{
        struct passwd *pw;

        if (uid == 0 || (getuid() == uid && geteuid() == uid))
                return;
        pw = getpwuid(uid);
        CHECK(pw);
        CHECK(initgroups(pw->pw_name, pw->pw_gid) == 0);
        CHECK(setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == 0);
        CHECK(setresuid(uid, uid, uid) == 0);
}

int run_as(uid_t uid, int (*fn)(void *arg), void *arg)
{
        pid_t pid;

        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                become(uid);
                fflush(NULL);
                _exit(fn(arg));
        }
        return wait_status(pid);
}

int run_cmd(uid_t uid, const char *socket, const char *const *env, const char *const *argv,
            char **outp, char **errp)
{
        char out[200], err[200];
        pid_t pid;
        int st;

        snprintf(out, sizeof(out), "%s/io/%s", test_dir(), strrchr(test_path("stdout"), '/') + 1);
        snprintf(err, sizeof(err), "%s/io/%s", test_dir(), strrchr(test_path("stderr"), '/') + 1);
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                int fi = open("/dev/null", O_RDONLY | O_CLOEXEC);

                if (fo < 0 || fe < 0 || fi < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0 ||
                    dup2(fe, 2) < 0)
                        _exit(126);
                become(uid);
                unsetenv("XDG_RUNTIME_DIR");
                if (socket)
                        setenv("ROLED_SOCKET", socket, 1);
                else
                        unsetenv("ROLED_SOCKET");
                for (size_t i = 0; env && env[i]; i++)
                        putenv((char *)env[i]);
                execv(argv[0], (char **)argv);
                _exit(127);
        }
        st = wait_status(pid);
        if (outp)
                *outp = read_file(out);
        if (errp)
                *errp = read_file(err);
        (void)unlink(out);
        (void)unlink(err);
        return st;
}

int rolectl(uid_t uid, const char *socket, char **outp, char **errp, ...)
{
        const char *argv[40];
        int n = 0;
        va_list ap;

        argv[n++] = rolectl_bin;
        va_start(ap, errp);
        for (const char *s; (s = va_arg(ap, const char *)) && n < 39;)
                argv[n++] = s;
        va_end(ap);
        argv[n] = NULL;
        return run_cmd(uid, socket, NULL, argv, outp, errp);
}

int count_lines(const char *s)
{
        int n = 0;

        if (!s)
                return 0;
        for (const char *p = s; *p; p++)
                if (*p == '\n' || p[1] == '\0')
                        n++;
        return n;
}

int raw_try_connect(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;

                close(fd);
                return -e;
        }
        return fd;
}

int raw_connect(const char *path)
{
        int fd = raw_try_connect(path);

        CHECK_MSG(fd >= 0, "connect %s: %s", path, strerror(-fd));
        return fd;
}

int raw_connect_bounded(const char *path, int timeout_s)
{
        struct timeval tv = { .tv_sec = timeout_s };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        CHECK(fd >= 0);
        CHECK(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        CHECK_MSG(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect %s: %s", path,
                  strerror(errno));
        return fd;
}

int raw_send(int fd, const void *buf, size_t len)
{
        const uint8_t *p = buf;

        while (len > 0) {
                ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int raw_hello(int fd)
{
        msgpack_sbuffer sb;
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp r;
        int n;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 0x48454c4f, "Hello", 0);
        n = raw_send(fd, sb.data, sb.size);
        msgpack_sbuffer_destroy(&sb);
        if (n)
                return n;
        msgpack_unpacker_init(&up, 4096);
        msgpack_unpacked_init(&u);
        n = raw_recv(fd, &up, &u, 10000);
        if (n == 1)
                n = resp_parse(&u.data, &r) && !r.code[0] ? 0 : -EPROTO;
        else if (n == 0)
                n = -ECONNRESET;
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        return n;
}

int raw_recv(int fd, msgpack_unpacker *up, msgpack_unpacked *u, int timeout_ms)
{
        int64_t deadline = now_ms() + timeout_ms;

        for (;;) {
                msgpack_unpack_return ur = msgpack_unpacker_next(up, u);
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                int64_t left = deadline - now_ms();
                ssize_t n;
                int r;

                if (ur == MSGPACK_UNPACK_SUCCESS)
                        return 1;
                if (ur == MSGPACK_UNPACK_PARSE_ERROR || ur == MSGPACK_UNPACK_NOMEM_ERROR)
                        return -EPROTO;
                if (left <= 0)
                        return -ETIMEDOUT;
                r = poll(&pfd, 1, (int)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;
                CHECK(msgpack_unpacker_reserve_buffer(up, 8192));
                n = read(fd, msgpack_unpacker_buffer(up), msgpack_unpacker_buffer_capacity(up));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == ECONNRESET ? 0 : -errno;
                if (n == 0)
                        return 0;
                msgpack_unpacker_buffer_consumed(up, (size_t)n);
        }
}

bool raw_wait_notification(int fd, int timeout_ms)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        bool seen = false;

        CHECK(msgpack_unpacker_init(&up, 8192));
        msgpack_unpacked_init(&u);
        while (!seen && raw_recv(fd, &up, &u, timeout_ms) == 1) {
                const msgpack_object *o = &u.data;

                seen = o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 3 &&
                       o->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
                       o->via.array.ptr[0].via.u64 == 2;
        }
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        return seen;
}

bool raw_wait_closed(int fd, int timeout_ms)
{
        int64_t deadline = now_ms() + timeout_ms;
        char buf[4096];

        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                int64_t left = deadline - now_ms();
                int r;
                ssize_t n;

                if (left <= 0)
                        return false;
                r = poll(&pfd, 1, (int)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return false;
                n = read(fd, buf, sizeof(buf));
                if (n == 0 || (n < 0 && errno == ECONNRESET))
                        return true;
                if (n < 0 && errno != EINTR && errno != EAGAIN)
                        return true;
        }
}

void pack_request(msgpack_sbuffer *sb, uint32_t msgid, const char *method, int n_kv, ...)
{
        msgpack_packer pk;
        va_list ap;

        msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 4);
        msgpack_pack_uint8(&pk, 0);
        msgpack_pack_uint32(&pk, msgid);
        msgpack_pack_str_with_body(&pk, method, strlen(method));
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, (size_t)n_kv);
        va_start(ap, n_kv);
        for (int i = 0; i < n_kv; i++) {
                const char *k = va_arg(ap, const char *), *v = va_arg(ap, const char *);

                msgpack_pack_str_with_body(&pk, k, strlen(k));
                if (v[0] == '#')
                        msgpack_pack_uint64(&pk, strtoull(v + 1, NULL, 10));
                else
                        msgpack_pack_str_with_body(&pk, v, strlen(v));
        }
        va_end(ap);
}

static const msgpack_object *map_get(const msgpack_object *map, const char *key)
{
        size_t klen = strlen(key);

        if (!map || map->type != MSGPACK_OBJECT_MAP)
                return NULL;
        for (uint32_t i = 0; i < map->via.map.size; i++) {
                const msgpack_object_kv *kv = &map->via.map.ptr[i];

                if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == klen &&
                    memcmp(kv->key.via.str.ptr, key, klen) == 0)
                        return &kv->val;
        }
        return NULL;
}

const char *resp_str(const msgpack_object *map, const char *key, char *buf, size_t size)
{
        const msgpack_object *v = map_get(map, key);

        buf[0] = '\0';
        if (v && v->type == MSGPACK_OBJECT_STR)
                snprintf(buf, size, "%.*s", (int)v->via.str.size, v->via.str.ptr);
        return buf;
}

long long resp_uint(const msgpack_object *map, const char *key)
{
        const msgpack_object *v = map_get(map, key);

        if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                return (long long)v->via.u64;
        return -1;
}

bool resp_parse(const msgpack_object *o, Resp *r)
{
        const msgpack_object *e;

        memset(r, 0, sizeof(*r));
        if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4)
                return false;
        e = o->via.array.ptr;
        if (e[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || e[0].via.u64 != 1 ||
            e[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER || e[1].via.u64 > UINT32_MAX)
                return false;
        r->msgid = (uint32_t)e[1].via.u64;
        if (e[2].type == MSGPACK_OBJECT_MAP) {
                resp_str(&e[2], "code", r->code, sizeof(r->code));
                resp_str(&e[2], "message", r->message, sizeof(r->message));
                if (!r->code[0])
                        return false;
        } else if (e[2].type != MSGPACK_OBJECT_NIL) {
                return false;
        }
        r->result = e[3];
        return true;
}

int call_raw(const char *socket, const void *req, size_t len, Resp *r, int timeout_ms)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        int fd = raw_connect(socket), ret;

        CHECK(msgpack_unpacker_init(&up, 8192));
        msgpack_unpacked_init(&u);
        CHECK(raw_send(fd, req, len) == 0);
        ret = raw_recv(fd, &up, &u, timeout_ms);
        if (ret == 1) {
                CHECK_MSG(resp_parse(&u.data, r), "not a response envelope");
                r->result.type = MSGPACK_OBJECT_NIL;
        }
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
        return ret;
}

void check_rejected(const char *socket, const void *msg, size_t len, const char *code)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        int fd = raw_connect(socket), r;
        Resp resp;

        CHECK(msgpack_unpacker_init(&up, 8192));
        msgpack_unpacked_init(&u);
        r = raw_send(fd, msg, len);
        CHECK_MSG(r == 0 || r == -EPIPE || r == -ECONNRESET, "send: %s", strerror(-r));
        r = raw_recv(fd, &up, &u, 5000);
        CHECK_MSG(r == 1, "expected a %s response before the close, got %d", code, r);
        CHECK(resp_parse(&u.data, &resp));
        CHECK_STREQ(resp.code, code);
        CHECK_INT(resp.msgid, ==, 0);
        CHECK_MSG(raw_wait_closed(fd, 5000), "the agent kept the connection open after %s", code);
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
}

void expect_answer(int fd, uint32_t msgid, const char *code, const char *message)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp resp;
        int r;

        CHECK(msgpack_unpacker_init(&up, 8192));
        msgpack_unpacked_init(&u);
        r = raw_recv(fd, &up, &u, 10000);
        CHECK_MSG(r == 1, "expected an answer to msgid %u, got %d", msgid, r);
        CHECK(resp_parse(&u.data, &resp));
        CHECK_MSG(strcmp(resp.code, code) == 0, "msgid %u: code \"%s\" (%s), want \"%s\"", msgid,
                  resp.code, resp.message, code);
        CHECK_INT(resp.msgid, ==, msgid);
        if (message)
                CHECK_CONTAINS(resp.message, message);
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
}

void read_loadavg(char *buf, size_t size)
{
        FILE *f = fopen("/proc/loadavg", "re");

        buf[0] = '\0';
        if (!f)
                return;
        if (!fgets(buf, (int)size, f))
                buf[0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
}

bool is_answered(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };

        return poll(&p, 1, 0) == 1;
}

void check_answered(int fd, const void *msg, size_t len, uint32_t msgid, const char *code)
{
        CHECK(raw_send(fd, msg, len) == 0);
        expect_answer(fd, msgid, code, NULL);
}

void check_served(const char *socket)
{
        msgpack_sbuffer sb;
        int fd = raw_connect(socket);

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 77, "GetCallerIdentity", 0);
        check_answered(fd, sb.data, sb.size, 77, "");
        msgpack_sbuffer_destroy(&sb);
        close(fd);
}
