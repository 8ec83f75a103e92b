/* SPDX-License-Identifier: MIT */
/*
 * test-pam - pam_roled.so in real PAM transactions against a live roled:
 * pam-driver runs libpam under pam_wrapper with service files of this test
 * that stack pam_roled with different arguments.  Covers the pre-warmed
 * role and the exported environment, two concurrent logins of one user
 * (the login's sessions end only with the last close, and another user's
 * stay), the agent down (login goes on; with enforce it fails), permission
 * denied (a PAM stack that is not root), account require_role,
 * malformed arguments (logged, ignored, the login still served), and the
 * Login method's answers and errors through libroled.  With pam_loginuid in
 * the stack (each login its own audit session, as sshd and login have it):
 * the pre-warmed session is the one the login's `rolectl credential-process`
 * gets; the end of the logins ends exactly their sessions, not the user's
 * services'; and a login begun before an agent restart (SIGKILL) still ends
 * its sessions when it closes after it (logins.list, 0600).
 */
#undef NDEBUG
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdarg.h>
#include <jansson.h>
#include <roled/roled.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

#define PAM_SUCCESS_RC 0
#define PAM_PERM_DENIED_RC 6
#define PAM_SESSION_ERR_RC 14

static TestAgent agent;
static const char *driver_path, *module_path, *service_dir, *config_dir;

typedef struct Driver {
        pid_t pid;
        FILE *in, *out;
        char *err_path;
} Driver;

static void driver_start(Driver *d, uid_t uid)
{
        int to[2], from[2];

        d->err_path = strdup(test_path("pam-driver.err"));
        /* CLOEXEC: a driver started later must not hold this one's stdin open. */
        CHECK(pipe2(to, O_CLOEXEC) == 0 && pipe2(from, O_CLOEXEC) == 0);
        d->pid = fork();
        CHECK(d->pid >= 0);
        if (d->pid == 0) {
                int fd = open(d->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

                if (fd < 0 || dup2(to[0], 0) < 0 || dup2(from[1], 1) < 0 || dup2(fd, 2) < 0)
                        _exit(127);
                close(to[1]);
                close(from[0]);
                if (uid)
                        become(uid);
                setenv("LD_PRELOAD", "libpam_wrapper.so", 1);
                setenv("PAM_WRAPPER", "1", 1);
                setenv("PAM_WRAPPER_SERVICE_DIR", service_dir, 1);
                setenv("PAM_WRAPPER_DEBUGLEVEL", "4", 1);
                /* pam_wrapper dlopen()s libpam with RTLD_DEEPBIND, which ASan refuses; this
                 * turns it off (pam_wrapper 1.1.4 reads the variable under uid_wrapper's name). */
                setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
                /* libpam_wrapper is preloaded before the sanitizer runtime of sanitized builds. */
                setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=1", 1);
                setenv("ROLED_SOCKET", agent.socket, 1);
                execl(driver_path, driver_path, (char *)NULL);
                _exit(127);
        }
        close(to[0]);
        close(from[1]);
        d->in = fdopen(to[1], "w");
        d->out = fdopen(from[0], "r");
        CHECK(d->in && d->out);
        setvbuf(d->in, NULL, _IOLBF, 0);
}

/* One command, its one answer line (static storage). */
static const char *drive(Driver *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *drive(Driver *d, const char *fmt, ...)
{
        static char line[1024];
        va_list ap;

        va_start(ap, fmt);
        vfprintf(d->in, fmt, ap);
        va_end(ap);
        fputc('\n', d->in);
        fflush(d->in);
        CHECK_MSG(fgets(line, sizeof(line), d->out), "pam-driver died; stderr: %s",
                  read_file(d->err_path));
        line[strcspn(line, "\n")] = '\0';
        return line;
}

static int drive_rc(Driver *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int drive_rc(Driver *d, const char *fmt, ...)
{
        char cmd[512];
        const char *ans;
        va_list ap;
        int rc = -1;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        ans = drive(d, "%s", cmd);
        CHECK_MSG(sscanf(ans, "rc %d", &rc) == 1, "%s: answered \"%s\"", cmd, ans);
        return rc;
}

/* The value pam_getenv() gives (static storage), "-" when unset. */
static const char *drive_env(Driver *d, int h, const char *name)
{
        const char *ans = drive(d, "env %d %s", h, name);

        CHECK_MSG(strncmp(ans, "env ", 4) == 0, "env: answered \"%s\"", ans);
        return ans + 4;
}

/* Stop the driver; Return: what it wrote to stderr (heap), pam_syslog lines included. */
static char *driver_stop(Driver *d)
{
        char *err;

        fclose(d->in);
        fclose(d->out);
        CHECK_INT(wait_status(d->pid), ==, 0);
        err = read_file(d->err_path);
        free(d->err_path);
        return err;
}

static void service(const char *name, const char *type, const char *args)
{
        char path[512], text[2048];

        snprintf(path, sizeof(path), "%s/%s", service_dir, name);
        snprintf(text, sizeof(text), "%s required %s %s\n", type, module_path, args);
        write_file(path, 0644, text);
}

static long agent_sessions(void)
{
        roled_client *c;
        char *text = NULL;
        json_t *j;
        long n;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_agent_status_json(c, &text), ==, ROLED_OK);
        j = json_loads(text, 0, NULL);
        CHECK(j);
        n = (long)json_integer_value(json_object_get(j, "sessions"));
        json_decref(j);
        free(text);
        roled_client_close(c);
        return n;
}

/* A session token of role dev for @uid lasting @duration, through rolectl credential-process
 * (heap). */
static char *token_for(uid_t uid, const char *duration)
{
        char *out = NULL;
        json_t *j;
        char *tok;

        CHECK_INT(rolectl(uid, agent.socket, &out, NULL, "credential-process", "--role", "dev",
                          "--duration", duration, NULL),
                  ==, 0);
        j = json_loads(out, 0, NULL);
        CHECK_MSG(j, "credential-process printed %s", out);
        tok = strdup(json_string_value(json_object_get(j, "SessionToken")));
        json_decref(j);
        free(out);
        return tok;
}

/* A session token of role dev for @uid, through rolectl credential-process (heap). */
static char *token_of(uid_t uid)
{
        return token_for(uid, "1h");
}

/* Does the agent still honour @token (Authorize answers, whatever the decision)? */
static roled_status authorize(const char *token)
{
        roled_authz_request q = ROLED_AUTHZ_REQUEST_INIT;
        T_AUTO(roled_authz_result) res = NULL;
        roled_client *c;
        roled_status st;

        q.session_token = token;
        q.action = "s3:GetObject";
        q.resource = "*";
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        st = t_authorize(c, &q, &res);
        roled_client_close(c);
        return st;
}

static void test_two_logins_pairing(void)
{
        char *carol = token_of(UID_CAROL), *alice = NULL, *err = NULL, *log = NULL;
        Driver d;

        CHECK_INT(agent_sessions(), ==, 1);
        driver_start(&d, 0);
        CHECK_INT(drive_rc(&d, "start 0 roled roledalice pts/1 host-one"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "open 0"), ==, PAM_SUCCESS_RC);
        /* Pre-warm: the agent holds alice's default role's session before she asks. */
        CHECK_INT(agent_sessions(), ==, 2);
        CHECK_STREQ(drive_env(&d, 0, "ROLED_SOCKET"), agent.socket);
        CHECK_STREQ(drive_env(&d, 0, "AWS_PROFILE"), "dev");
        log = agent_log(&agent);
        CHECK_CONTAINS(
                log,
                "(roledalice) started: service roled, tty pts/1, rhost host-one, no audit session");
        CHECK_CONTAINS(log, "; pre-warmed role dev");

        CHECK_INT(drive_rc(&d, "start 1 roled roledalice pts/2 host-two"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "open 1"), ==, PAM_SUCCESS_RC);
        CHECK_INT(agent_sessions(), ==, 2); /* the pre-warmed session is shared */
        /* Her rolectl runs as the logins' processes do (no unit, no audit session): pre-warmed. */
        alice = token_of(UID_ALICE);
        CHECK_INT(agent_sessions(), ==, 2);

        /* The first login ends: alice is still logged in, her sessions live. */
        CHECK_INT(drive_rc(&d, "close 0"), ==, PAM_SUCCESS_RC);
        CHECK_INT(agent_sessions(), ==, 2);
        CHECK_INT(authorize(alice), ==, ROLED_OK);

        /* The last one ends: the sessions of her logins end, carol's stay. */
        CHECK_INT(drive_rc(&d, "close 1"), ==, PAM_SUCCESS_RC);
        CHECK_INT(agent_sessions(), ==, 1);
        CHECK_INT(authorize(alice), ==, ROLED_E_INVALID_TOKEN);
        CHECK_INT(authorize(carol), ==, ROLED_OK);
        /* Closing again is a no-op: the handle forgot its login. */
        CHECK_INT(drive_rc(&d, "close 1"), ==, PAM_SUCCESS_RC);
        CHECK_STREQ(drive(&d, "end 0"), "ok");
        CHECK_STREQ(drive(&d, "end 1"), "ok");
        err = driver_stop(&d);
        CHECK_CONTAINS(err, "of uid 2101 ended, 1 open, 0 sessions ended");
        CHECK_CONTAINS(err, "of uid 2101 ended, 0 open, 1 sessions ended");
        /* A new login of alice after that starts a new group and pre-warms again. */
        driver_start(&d, 0);
        CHECK_INT(drive_rc(&d, "start 0 roled roledalice pts/3 host-three"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "open 0"), ==, PAM_SUCCESS_RC);
        CHECK_INT(agent_sessions(), ==, 2);
        CHECK_INT(drive_rc(&d, "close 0"), ==, PAM_SUCCESS_RC);
        CHECK_INT(agent_sessions(), ==, 1);
        free(driver_stop(&d));
        free(carol);
        free(alice);
        free(err);
        free(log);
}

static void test_agent_down(void)
{
        char *err = NULL;
        Driver d;

        driver_start(&d, 0);
        CHECK_INT(drive_rc(&d, "start 0 down roledalice pts/1 host"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "open 0"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "close 0"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "start 1 down-enforce roledalice pts/1 host"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "open 1"), ==, PAM_SESSION_ERR_RC);
        CHECK_INT(drive_rc(&d, "start 2 acct-down-enforce roledalice pts/1 host"), ==,
                  PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "acct 2"), ==, PAM_PERM_DENIED_RC);
        err = driver_stop(&d);
        CHECK_CONTAINS(err, "cannot reach roled at");
        free(err);
        CHECK_INT(agent_sessions(), ==, 1);
}

static void test_permission_denied(void)
{
        char *err = NULL;
        Driver d;

        /* A PAM stack that does not run as root may not declare logins. */
        driver_start(&d, UID_ALICE);
        CHECK_INT(drive_rc(&d, "start 0 roled roledalice pts/1 host"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "open 0"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "close 0"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "start 1 enforce roledalice pts/1 host"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "open 1"), ==, PAM_SESSION_ERR_RC);
        err = driver_stop(&d);
        CHECK_CONTAINS(err, "refused the login of roledalice: AccessDenied");
        free(err);
        CHECK_INT(agent_sessions(), ==, 1);
}

static void test_account_require_role(void)
{
        Driver d;

        driver_start(&d, 0);
        CHECK_INT(drive_rc(&d, "start 0 acct roledalice - -"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "acct 0"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "start 1 acct roledbob - -"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "acct 1"), ==, PAM_PERM_DENIED_RC);
        free(driver_stop(&d));
}

static void test_malformed_arguments(void)
{
        char *err = NULL;
        Driver d;

        driver_start(&d, 0);
        CHECK_INT(drive_rc(&d, "start 0 bad roledalice pts/1 host"), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(&d, "open 0"), ==, PAM_SUCCESS_RC);
        /* socket=relative was ignored: libroled's search ($ROLED_SOCKET) found the agent. */
        CHECK_STREQ(drive_env(&d, 0, "ROLED_SOCKET"), agent.socket);
        CHECK_STREQ(drive_env(&d, 0, "AWS_PROFILE"), "-");
        CHECK_INT(agent_sessions(), ==, 2);
        CHECK_INT(drive_rc(&d, "close 0"), ==, PAM_SUCCESS_RC);
        CHECK_INT(agent_sessions(), ==, 1);
        err = driver_stop(&d);
        CHECK_CONTAINS(err, "ignoring unknown module argument 'bogus'");
        CHECK_CONTAINS(err, "ignoring unknown module argument 'enforce_'");
        CHECK_CONTAINS(err, "ignoring role=");
        CHECK_CONTAINS(err, "ignoring socket=");
        CHECK_CONTAINS(err, "ignoring aws_profile=");
        CHECK_NOT_CONTAINS(err, "secret-looking-value");
        free(err);
}

/* The Login method itself, through libroled: its answers and its errors. */
static const char *loginuid_module(void)
{
        static const char *const paths[] = { "/lib/x86_64-linux-gnu/security/pam_loginuid.so",
                                             "/usr/lib/x86_64-linux-gnu/security/pam_loginuid.so",
                                             "/usr/lib/security/pam_loginuid.so" };

        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
                if (access(paths[i], R_OK) == 0)
                        return paths[i];
        return NULL;
}

/* The audit session of @pid, or UINT32_MAX when it has none. */
static unsigned long audit_session(pid_t pid)
{
        char path[64], *text;
        unsigned long v;

        snprintf(path, sizeof(path), "/proc/%d/sessionid", (int)pid);
        text = read_file(path);
        if (!text)
                return UINT32_MAX;
        v = strtoul(text, NULL, 10);
        free(text);
        return v;
}

typedef struct LoginCreds {
        char akid[64];
        char *token;
} LoginCreds;

/* `rolectl credential-process --role dev` run by pam-driver @d as @uid: a process of that login. */
static void creds_in_login(Driver *d, uid_t uid, LoginCreds *c)
{
        const char *out = test_path("in-login.json");
        char *text;
        json_t *j;

        CHECK_INT(drive_rc(d, "run %u %s %s credential-process --role dev", (unsigned)uid, out,
                           test_rolectl()),
                  ==, 0);
        text = read_file(out);
        j = json_loads(text, 0, NULL);
        CHECK_MSG(j, "credential-process in the login printed %s", text);
        snprintf(c->akid, sizeof(c->akid), "%s",
                 json_string_value(json_object_get(j, "AccessKeyId")));
        c->token = strdup(json_string_value(json_object_get(j, "SessionToken")));
        json_decref(j);
        free(text);
}

/* alice's sessions as root lists them (`rolectl sessions --user 2101 --json`), parsed. */
static json_t *alice_sessions(void)
{
        char *out = NULL;
        json_t *j;

        CHECK_INT(
                rolectl(0, agent.socket, &out, NULL, "sessions", "--user", "2101", "--json", NULL),
                ==, 0);
        j = json_loads(out, 0, NULL);
        CHECK_MSG(j && json_is_array(j), "rolectl sessions printed %s", out);
        free(out);
        return j;
}

static bool listed(json_t *list, const char *akid)
{
        for (size_t i = 0; i < json_array_size(list); i++)
                if (!strcmp(json_string_value(
                                    json_object_get(json_array_get(list, i), "accessKeyId")),
                            akid))
                        return true;
        return false;
}

static void drive_login(Driver *d, const char *tty)
{
        driver_start(d, 0);
        CHECK_INT(drive_rc(d, "start 0 scoped roledalice %s host", tty), ==, PAM_SUCCESS_RC);
        CHECK_INT(drive_rc(d, "open 0"), ==, PAM_SUCCESS_RC);
}

static void test_login_scope(void)
{
        char *service_tok = token_of(UID_ALICE), *service_during = NULL, *log, *boot,
             list_path[512];
        const char *lu = loginuid_module();
        LoginCreds a, b, c;
        Driver da, db, dc;
        json_t *list;
        struct stat st;
        char text[2048];

        if (!lu) {
                printf("skip: login scope: no pam_loginuid.so\n");
                free(service_tok);
                return;
        }
        snprintf(text, sizeof(text), "session required %s\nsession required %s socket=%s debug\n",
                 lu, module_path, agent.socket);
        snprintf(list_path, sizeof(list_path), "%s/scoped", service_dir);
        write_file(list_path, 0644, text);

        drive_login(&da, "pts/4");
        /* A service of alice's (outside any login) asks while she is logged in: a session of its
         * own. */
        service_during = token_for(UID_ALICE, "30m");
        if (audit_session(da.pid) == UINT32_MAX) {
                /* pam_loginuid may not set a loginuid here (a container without CAP_AUDIT_CONTROL).
                 */
                printf("skip: login scope: pam_loginuid gave no audit session\n");
                CHECK_INT(drive_rc(&da, "close 0"), ==, PAM_SUCCESS_RC);
                free(driver_stop(&da));
                free(service_tok);
                free(service_during);
                return;
        }
        /* Pre-warm: the login's first credential-process is served the pre-warmed session. */
        list = alice_sessions();
        CHECK_INT(json_array_size(list), ==, 3); /* the service's two and the pre-warmed one */
        json_decref(list);
        creds_in_login(&da, UID_ALICE, &a);
        list = alice_sessions();
        CHECK_INT(json_array_size(list), ==, 3);
        CHECK_MSG(listed(list, a.akid), "the login's rolectl got %s, not the pre-warmed session",
                  a.akid);
        json_decref(list);
        log = agent_log(&agent);
        CHECK_CONTAINS(log, "rhost host, audit session ");
        free(log);

        /* A second login of alice: a session of its own. */
        drive_login(&db, "pts/5");
        CHECK(audit_session(db.pid) != audit_session(da.pid));
        creds_in_login(&db, UID_ALICE, &b);
        CHECK(strcmp(a.akid, b.akid) != 0);

        /* The first closes: nothing ends while alice is logged in. */
        CHECK_INT(drive_rc(&da, "close 0"), ==, PAM_SUCCESS_RC);
        CHECK_INT(authorize(a.token), ==, ROLED_OK);
        /* The last closes: both logins' sessions end, the service's stays. */
        CHECK_INT(drive_rc(&db, "close 0"), ==, PAM_SUCCESS_RC);
        CHECK_INT(authorize(a.token), ==, ROLED_E_INVALID_TOKEN);
        CHECK_INT(authorize(b.token), ==, ROLED_E_INVALID_TOKEN);
        CHECK_INT(authorize(service_tok), ==, ROLED_OK);
        CHECK_INT(authorize(service_during), ==, ROLED_OK);
        list = alice_sessions();
        CHECK_INT(json_array_size(list), ==, 2);
        json_decref(list);
        free(driver_stop(&da));
        free(driver_stop(&db));

        /* A login that outlives an agent restart still ends its sessions. */
        drive_login(&dc, "pts/6");
        agent_kill(&agent);
        agent_spawn(config_dir, &agent);
        snprintf(list_path, sizeof(list_path), "%s/keys/logins.list", test_dir());
        CHECK_MSG(stat(list_path, &st) == 0, "%s: missing", list_path);
        CHECK_INT(st.st_mode & 07777, ==, 0600);
        CHECK_INT(st.st_uid, ==, geteuid());
        creds_in_login(&dc, UID_ALICE, &c);
        free(service_tok);
        service_tok = token_of(UID_ALICE);
        CHECK_INT(drive_rc(&dc, "close 0"), ==, PAM_SUCCESS_RC);
        CHECK_INT(authorize(c.token), ==, ROLED_E_INVALID_TOKEN);
        CHECK_INT(authorize(service_tok), ==, ROLED_OK);
        log = driver_stop(&dc);
        CHECK_CONTAINS(log, "0 open, 1 sessions ended");
        CHECK_NOT_CONTAINS(log, "did not end login");
        free(log);
        free(a.token);
        free(b.token);
        free(c.token);
        free(service_tok);
        free(service_during);

        /* A list roled did not write costs only the logins in it: the agent starts and says so. */
        agent_stop(&agent);
        boot = read_file("/proc/sys/kernel/random/boot_id");
        CHECK(boot && strchr(boot, '\n'));
        *strchr(boot, '\n') = '\0';
        snprintf(text, sizeof(text), "roled-logins 1 %s\nnot a login\n", boot);
        write_file(list_path, 0600, text);
        agent_spawn(config_dir, &agent);
        log = agent_log(&agent);
        CHECK_CONTAINS(log, "logins.list:2: not a login list written by roled");
        free(log);
        check_served(agent.socket);
        /* Logins of another boot ended with it (and their audit session ids start again). */
        agent_stop(&agent);
        write_file(list_path, 0600,
                   "roled-logins 1 00000000-0000-0000-0000-000000000000\n"
                   "0123456789abcdef0123456789abcdef 2101 5 1700000000 1\n");
        agent_spawn(config_dir, &agent);
        log = agent_log(&agent);
        CHECK_CONTAINS(
                log,
                "logins.list was written during another boot: its logins ended with that boot");
        free(log);
        free(boot);
        /* The login of that list is not open: ending it is NoSuchEntity, and nothing is kept. */
        {
                T_AUTO(roled_login_result) res = NULL;
                roled_client *cl;

                CHECK_INT(t_connect(agent.socket, &cl), ==, ROLED_OK);
                CHECK_INT(t_login(cl,
                                  T_LOGIN_REQ(.event = ROLED_LOGIN_END,
                                              .login_id = "0123456789abcdef0123456789abcdef"),
                                  &res),
                          ==, ROLED_E_NO_SUCH_ENTITY);
                roled_client_close(cl);
        }
}

static void test_login_method(void)
{
        T_AUTO(roled_login_result) res = NULL;
        char login_id[64];
        roled_client *c;
        char *log;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_login(c, T_LOGIN_REQ(.event = ROLED_LOGIN_CHECK, .user = "roledalice"), &res),
                  ==, ROLED_OK);
        CHECK_INT(roled_login_result_uid(res), ==, UID_ALICE);
        CHECK_INT(roled_login_result_assumable(res), ==, 1);
        CHECK_STREQ(roled_login_result_role(res), "dev");
        CHECK_INT(t_login(c, T_LOGIN_REQ(.event = ROLED_LOGIN_CHECK, .user = "roledbob"), &res), ==,
                  ROLED_OK);
        CHECK_INT(roled_login_result_assumable(res), ==, 0);
        CHECK_STREQ(roled_login_result_role(res), "");
        /* bob has no role: his login is recorded, nothing is pre-warmed, and the reply says why. */
        CHECK_INT(t_login(c,
                          T_LOGIN_REQ(.event = ROLED_LOGIN_START, .user = "roledbob",
                                      .service = "sshd\n", .tty = "pts/9"),
                          &res),
                  ==, ROLED_OK);
        CHECK_STREQ(roled_login_result_role(res), "");
        CHECK_CONTAINS(roled_login_result_reason(res), "has no default role");
        CHECK_INT(roled_login_result_logins(res), ==, 1);
        snprintf(login_id, sizeof(login_id), "%s", roled_login_result_login_id(res));
        CHECK_INT(t_login(c, T_LOGIN_REQ(.event = ROLED_LOGIN_END, .login_id = login_id), &res), ==,
                  ROLED_OK);
        CHECK_INT(roled_login_result_logins(res), ==, 0);
        CHECK_INT(roled_login_result_revoked(res), ==, 0);
        /* A control character from PAM_SERVICE reaches the log as '?'. */
        log = agent_log(&agent);
        CHECK_CONTAINS(log, "service sshd?, tty pts/9");
        free(log);
        CHECK_INT(t_login(c,
                          T_LOGIN_REQ(.event = ROLED_LOGIN_END,
                                      .login_id = "00000000000000000000000000000000"),
                          &res),
                  ==, ROLED_E_NO_SUCH_ENTITY);
        CHECK_INT(t_login(c, T_LOGIN_REQ(.event = ROLED_LOGIN_START, .user = "no-such-user-here"),
                          &res),
                  ==, ROLED_E_NO_SUCH_ENTITY);
        CHECK_INT(t_login(c,
                          T_LOGIN_REQ(.event = ROLED_LOGIN_START, .user = "roledalice",
                                      .role = "bad role"),
                          &res),
                  ==, ROLED_E_INVALID_PARAMETER_VALUE);
        CHECK_INT(t_login(c, T_LOGIN_REQ(.event = ROLED_LOGIN_END), &res), ==,
                  ROLED_E_INVALID_ARGUMENT);
        roled_client_close(c);
        CHECK_INT(agent_sessions(), ==, 1);
}

/*
 * A process that connected while the agent held no login, asking after a
 * login of its audit session began: its session is the login's, and ends
 * with it (the agent reads the audit session with the request when it did
 * not at attestation).
 */
static void test_connected_before_first_login(void)
{
        T_AUTO(roled_login_result) res = NULL;
        char *outside = token_of(UID_ALICE), token[4096] = "";
        int ready[2], go[2], back[2];
        roled_client *c;
        pid_t r;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_login(c, T_LOGIN_REQ(.event = ROLED_LOGIN_CHECK, .user = "roledalice"), &res),
                  ==, ROLED_OK);
        CHECK_INT(roled_login_result_logins(res), ==, 0);
        roled_client_close(c);
        CHECK(pipe(ready) == 0 && pipe(go) == 0 && pipe(back) == 0);
        r = fork();
        CHECK(r >= 0);
        if (r == 0) {
                char login_id[64], byte;
                roled_client *rc;
                ssize_t n;
                pid_t g;
                int fd;

                /* A login's first process: a fresh audit session (pam_loginuid's doing). */
                fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, "0", 1) != 1) {
                        printf("skip: connected before first login: cannot set a loginuid\n");
                        _exit(77);
                }
                close(fd);
                g = fork();
                CHECK(g >= 0);
                if (g == 0) {
                        T_AUTO(roled_role_list) roles = NULL;
                        T_AUTO(roled_credentials) cr = NULL;
                        roled_client *gc;
                        roled_credentials_request fresh = { .size = sizeof(
                                                                    roled_credentials_request),
                                                            .flags = ROLED_CREDENTIALS_FRESH };
                        const char *tok;

                        become(UID_ALICE);
                        CHECK_INT(t_connect(agent.socket, &gc), ==, ROLED_OK);
                        /* Attested and served while the agent holds no login, credentials too. */
                        CHECK_INT(t_list_roles(gc, &roles), ==, ROLED_OK);
                        CHECK_INT(t_get_credentials(gc, NULL, &cr), ==, ROLED_OK);
                        CHECK(write(ready[1], "r", 1) == 1);
                        CHECK(read(go[0], &byte, 1) == 1);
                        /* From the agent, not libroled's cache. */
                        CHECK_INT(t_get_credentials(gc, &fresh, &cr), ==, ROLED_OK);
                        tok = roled_credentials_session_token(cr);
                        CHECK((size_t)write(back[1], tok, strlen(tok)) == strlen(tok));
                        roled_client_close(gc);
                        _exit(0);
                }
                close(back[1]);
                CHECK(read(ready[0], &byte, 1) == 1);
                CHECK_INT(t_connect(agent.socket, &rc), ==, ROLED_OK);
                CHECK_INT(t_login(rc,
                                  T_LOGIN_REQ(.event = ROLED_LOGIN_START, .user = "roledalice",
                                              .service = "test", .tty = "pts/7"),
                                  &res),
                          ==, ROLED_OK);
                snprintf(login_id, sizeof(login_id), "%s", roled_login_result_login_id(res));
                CHECK(write(go[1], "g", 1) == 1);
                n = read(back[0], token, sizeof(token) - 1);
                CHECK(n > 0);
                token[n] = '\0';
                CHECK_INT(wait_status(g), ==, 0);
                CHECK_INT(authorize(token), ==, ROLED_OK);
                CHECK_INT(t_login(rc, T_LOGIN_REQ(.event = ROLED_LOGIN_END, .login_id = login_id),
                                  &res),
                          ==, ROLED_OK);
                CHECK_MSG(authorize(token) == ROLED_E_INVALID_TOKEN,
                          "a session asked for on a connection made before the first login "
                          "outlived the end of its login");
                roled_client_close(rc);
                _exit(0);
        }
        {
                int st = wait_status(r);

                if (st == 77) {
                        free(outside);
                        return;
                }
                CHECK_INT(st, ==, 0);
        }
        /* alice's session outside the login stays. */
        CHECK_INT(authorize(outside), ==, ROLED_OK);
        free(outside);
        close(ready[0]), close(ready[1]), close(go[0]), close(go[1]), close(back[0]),
                close(back[1]);
}

int main(int argc, char **argv)
{
        char long_arg[400], rolectl_real[PATH_MAX];
        const char *cfg;
        char args[1024];

        test_init(argc, argv);
        driver_path = getenv("ROLED_TEST_PAM_DRIVER");
        module_path = getenv("ROLED_TEST_PAM_MODULE");
        CHECK_MSG(driver_path && module_path,
                  "ROLED_TEST_PAM_DRIVER and ROLED_TEST_PAM_MODULE name "
                  "pam-driver and pam_roled.so");
        if (access("/usr/lib/x86_64-linux-gnu/libpam_wrapper.so", R_OK) != 0 &&
            access("/usr/lib/libpam_wrapper.so", R_OK) != 0)
                TEST_SKIP("libpam-wrapper is not installed");
        CHECK(realpath(test_rolectl(), rolectl_real));
        CHECK(strlen(rolectl_real) < 900);
        snprintf(args, sizeof(args), "login_prewarm_exe = %.900s", rolectl_real);
        cfg = config_dir = config_new(args);
        config_put(cfg, "roles.d/dev.ini",
                   "[role]\nname = dev\n[trust]\nusers = roledalice, roledcarol\n"
                   "[default]\nusers = roledalice, roledcarol\n");
        /*
         * A role that reads the unit (nobody here may assume it): the agent reads
         * every caller's cgroup, and a Login's pre-warmed session must still be
         * keyed as the login's processes are (test_login_scope).
         */
        config_put(cfg, "roles.d/svc.ini",
                   "[role]\nname = svc\n[trust]\nusers = root\nunits = backup.service\n");
        agent_spawn(cfg, &agent);

        service_dir = strdup(test_path("pam.d"));
        CHECK(mkdir(service_dir, 0755) == 0);
        snprintf(args, sizeof(args), "socket=%s debug aws_profile", agent.socket);
        service("roled", "session", args);
        snprintf(args, sizeof(args), "socket=%s enforce", agent.socket);
        service("enforce", "session", args);
        snprintf(args, sizeof(args), "socket=%s/nothing-listens debug", test_dir());
        service("down", "session", args);
        snprintf(args, sizeof(args), "socket=%s/nothing-listens enforce", test_dir());
        service("down-enforce", "session", args);
        snprintf(args, sizeof(args), "socket=%s/nothing-listens enforce require_role", test_dir());
        service("acct-down-enforce", "account", args);
        snprintf(args, sizeof(args), "socket=%s require_role debug", agent.socket);
        service("acct", "account", args);
        memset(long_arg, 'x', sizeof(long_arg) - 1);
        long_arg[sizeof(long_arg) - 1] = '\0';
        snprintf(
                args, sizeof(args),
                "bogus role=b!d socket=relative/path aws_profile=a;b enforce_=secret-looking-value "
                "= role= socket= debug %s",
                long_arg);
        service("bad", "session", args);

        test_two_logins_pairing();
        test_agent_down();
        test_permission_denied();
        test_account_require_role();
        test_malformed_arguments();
        test_login_method();
        test_connected_before_first_login();
        test_login_scope();
        agent_stop(&agent);
        return 0;
}
