/* SPDX-License-Identifier: MIT */
/*
 * test-objstore - the example service end to end: a real agent, objstore
 * authorizing every request with roled_authorize(), and real SigV4-signed
 * requests from botocore (objstore-client.py) with credentials that
 * roledalice got from `rolectl credential-process`.  Allowed and denied
 * GETs (implicit, and an explicit Deny statement), ${aws:username} in a
 * PUT, a tampered signature, a skewed clock, a request signed for another
 * service, region or host, a revoked session, and a request context key
 * that tries to override an attested one.
 *
 * Arguments: roled rolectl objstore objstore-client.py.
 */
#undef NDEBUG
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static TestAgent agent;
static const char *objstore_bin, *client_py;
static pid_t service_pid;
static char port[16];
static char creds_file[256];

static const char policy[] =
        "{\"Version\": \"2012-10-17\", \"Statement\": [\n"
        " {\"Sid\": \"ReadBucket\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\",\n"
        "  \"Resource\": [\"arn:aws:s3:::bucket/public/*\", \"arn:aws:s3:::bucket/private/*\"]},\n"
        " {\"Sid\": \"NoPrivate\", \"Effect\": \"Deny\", \"Action\": \"s3:GetObject\",\n"
        "  \"Resource\": \"arn:aws:s3:::bucket/private/*\"},\n"
        " {\"Sid\": \"OwnHome\", \"Effect\": \"Allow\", \"Action\": [\"s3:PutObject\", "
        "\"s3:GetObject\"],\n"
        "  \"Resource\": \"arn:aws:s3:::bucket/home/${aws:username}/*\"},\n"
        " {\"Sid\": \"Tagged\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\",\n"
        "  \"Resource\": \"arn:aws:s3:::bucket/tagged/*\",\n"
        "  \"Condition\": {\"StringEquals\": {\"objstore:color\": \"blue\"}}}\n"
        "]}\n";

/* start_service() - run objstore on an ephemeral port and read the port it prints. */
static void start_service(void)
{
        char line[128] = "", *colon;
        size_t len = 0;
        int pfd[2];

        CHECK(pipe(pfd) == 0);
        service_pid = fork();
        CHECK(service_pid >= 0);
        if (service_pid == 0) {
                dup2(pfd[1], STDOUT_FILENO);
                close(pfd[0]);
                close(pfd[1]);
                execl(objstore_bin, objstore_bin, "--socket", agent.socket, (char *)NULL);
                _exit(127);
        }
        close(pfd[1]);
        while (len < sizeof(line) - 1 && !strchr(line, '\n')) {
                ssize_t n = read(pfd[0], line + len, sizeof(line) - 1 - len);

                if (n <= 0)
                        break;
                len += (size_t)n;
                line[len] = '\0';
        }
        close(pfd[0]);
        CHECK_CONTAINS(line, "listening on 127.0.0.1:");
        colon = strrchr(line, ':');
        snprintf(port, sizeof(port), "%.*s", (int)strcspn(colon + 1, "\n"), colon + 1);
        test_log("objstore on port %s", port);
}

static void stop_service(void)
{
        CHECK(kill(service_pid, SIGTERM) == 0);
        CHECK_INT(wait_status(service_pid), ==, 0);
        service_pid = 0;
}

/* At exit after a failed check: do not leave the service running. */
static void kill_service(void)
{
        if (service_pid > 0) {
                kill(service_pid, SIGKILL);
                waitpid(service_pid, NULL, 0);
        }
}

/* fetch_creds() - roledalice's credentials for role objects, saved as credential_process JSON. */
static void fetch_creds(void)
{
        char *out = NULL, *err = NULL;

        CHECK_INT(rolectl(UID_ALICE, agent.socket, &out, &err, "credential-process", "--role",
                          "objects", NULL),
                  ==, 0);
        CHECK_CONTAINS(out, "SessionToken");
        snprintf(creds_file, sizeof(creds_file), "%s", test_path("creds.json"));
        write_file(creds_file, 0600, out);
        free(out);
        free(err);
}

/*
 * request() - one signed request through objstore-client.py; the extra
 * arguments (NULL-terminated) go before METHOD PATH.
 * Return: the HTTP status; *@bodyp (heap) the body.
 */
static int request(char **bodyp, const char *method, const char *path, ...)
{
        const char *argv[24] = { "/usr/bin/python3", client_py, "--port", port,
                                 "--creds",          creds_file };
        char *out = NULL, *err = NULL, *nl;
        size_t n = 6;
        const char *a;
        va_list ap;
        int rc, status;

        va_start(ap, path);
        while ((a = va_arg(ap, const char *)) && n < ELEMENTSOF(argv) - 3)
                argv[n++] = a;
        va_end(ap);
        argv[n++] = method;
        argv[n++] = path;
        argv[n] = NULL;
        rc = run_cmd(0, NULL, NULL, argv, &out, &err);
        CHECK_MSG(rc == 0, "objstore-client.py exited %d: %s", rc, err ? err : "");
        status = atoi(out);
        nl = strchr(out, '\n');
        *bodyp = strdup(nl ? nl + 1 : "");
        test_log("%s %s -> %d %s", method, path, status, *bodyp);
        free(out);
        free(err);
        return status;
}

static void test_decisions(void)
{
        char *body;

        CHECK_INT(request(&body, "GET", "/bucket/public/hello", NULL), ==, 200);
        CHECK_STREQ(body, "hello world\n");
        free(body);
        /* Allowed by policy, but the object does not exist: authorization passed. */
        CHECK_INT(request(&body, "GET", "/bucket/public/missing", NULL), ==, 404);
        free(body);
        CHECK_INT(request(&body, "GET", "/bucket/other/x", NULL), ==, 403);
        CHECK_CONTAINS(body, "<Code>AccessDenied</Code>");
        CHECK_CONTAINS(body, "implicit-deny: role objects, no statement matched");
        free(body);
        CHECK_INT(request(&body, "GET", "/bucket/private/plans", NULL), ==, 403);
        CHECK_CONTAINS(body, "explicit-deny: role objects, statement 1 \"NoPrivate\"");
        CHECK_NOT_CONTAINS(body, "secret plans");
        free(body);
        /* ${aws:username} is the local user the session belongs to. */
        CHECK_INT(request(&body, "PUT", "/bucket/home/roledalice/notes", "--body", "mine", NULL),
                  ==, 200);
        free(body);
        CHECK_INT(request(&body, "GET", "/bucket/home/roledalice/notes", NULL), ==, 200);
        CHECK_STREQ(body, "mine");
        free(body);
        CHECK_INT(request(&body, "PUT", "/bucket/home/roledbob/notes", "--body", "theirs", NULL),
                  ==, 403);
        CHECK_CONTAINS(body, "implicit-deny");
        free(body);
}

static void test_context(void)
{
        char *body;

        CHECK_INT(request(&body, "GET", "/bucket/tagged/blue", NULL), ==, 403);
        free(body);
        CHECK_INT(request(&body, "GET", "/bucket/tagged/blue", "--context", "objstore:color=blue",
                          NULL),
                  ==, 200);
        CHECK_STREQ(body, "blue\n");
        free(body);
        /* Claiming to be bob (and so reaching bob's home) is refused by the agent. */
        CHECK_INT(request(&body, "PUT", "/bucket/home/roledbob/notes", "--body", "x", "--context",
                          "aws:username=roledbob", NULL),
                  ==, 400);
        CHECK_CONTAINS(body, "<Code>InvalidParameterValue</Code>");
        CHECK_CONTAINS(body, "attested");
        free(body);
        CHECK_INT(request(&body, "GET", "/bucket/public/hello", "--context", "roled:uid=0", NULL),
                  ==, 400);
        CHECK_CONTAINS(body, "InvalidParameterValue");
        free(body);
}

static void test_signature(void)
{
        char *body;

        CHECK_INT(request(&body, "GET", "/bucket/public/hello", "--tamper", NULL), ==, 403);
        CHECK_CONTAINS(body, "<Code>SignatureDoesNotMatch</Code>");
        CHECK_NOT_CONTAINS(body, "hello world");
        free(body);
        CHECK_INT(request(&body, "GET", "/bucket/public/hello", "--skew", "-3600", NULL), ==, 403);
        CHECK_CONTAINS(body, "<Code>RequestExpired</Code>");
        free(body);
}

/*
 * A request alice signed for another endpoint -- the sqs in region
 * xx-evil-9 at unrelated.example, and each of the three alone -- replayed to
 * objstore within the 15-minute window is refused, though the signature is
 * valid and the action allowed; alice's own request is still served.
 */
static void test_endpoint(void)
{
        char *body;

        CHECK_INT(request(&body, "GET", "/bucket/public/hello", "--service", "sqs", "--region",
                          "xx-evil-9", "--host", "unrelated.example", NULL),
                  ==, 403);
        CHECK_CONTAINS(body, "<Code>SignatureDoesNotMatch</Code>");
        CHECK_CONTAINS(body, "'sqs'");
        CHECK_NOT_CONTAINS(body, "hello world");
        free(body);
        CHECK_INT(request(&body, "GET", "/bucket/public/hello", "--region", "xx-evil-9", NULL), ==,
                  403);
        CHECK_CONTAINS(body, "region 'xx-evil-9'");
        free(body);
        CHECK_INT(
                request(&body, "GET", "/bucket/public/hello", "--host", "unrelated.example", NULL),
                ==, 403);
        CHECK_CONTAINS(body, "host 'unrelated.example'");
        free(body);
        CHECK_INT(request(&body, "GET", "/bucket/public/hello", "--service", "sqs", NULL), ==, 403);
        CHECK_CONTAINS(body, "SignatureDoesNotMatch");
        free(body);
        CHECK_INT(request(&body, "GET", "/bucket/public/hello", NULL), ==, 200);
        CHECK_STREQ(body, "hello world\n");
        free(body);
}

static void test_revoked(void)
{
        char *out = NULL, *err = NULL, *body;

        CHECK_INT(rolectl(UID_ALICE, agent.socket, &out, &err, "revoke", "--role", "objects", NULL),
                  ==, 0);
        free(out);
        free(err);
        CHECK_INT(request(&body, "GET", "/bucket/public/hello", NULL), ==, 403);
        CHECK_CONTAINS(body, "<Code>InvalidClientTokenId</Code>");
        CHECK_CONTAINS(body, "revoked");
        free(body);
        /* A fresh session works again. */
        fetch_creds();
        CHECK_INT(request(&body, "GET", "/bucket/public/hello", NULL), ==, 200);
        free(body);
}

int main(int argc, char **argv)
{
        const char *cfg;
        const char *const probe[] = { "/usr/bin/python3", "-c", "import botocore.auth", NULL };

        test_init(argc, argv);
        if (argc < 5)
                test_fail(__FILE__, __LINE__, "usage: %s ROLED ROLECTL OBJSTORE CLIENT.PY",
                          argv[0]);
        objstore_bin = argv[3];
        client_py = argv[4];
        if (access("/usr/bin/python3", X_OK) != 0 || run_cmd(0, NULL, NULL, probe, NULL, NULL) != 0)
                TEST_SKIP("python3 with botocore is not installed");
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/objects.json", "%s", policy);
        config_put(cfg, "roles.d/objects.ini",
                   "[role]\nname = objects\npermissions = objects.json\n[trust]\nusers = "
                   "roledalice\n");
        agent_spawn(cfg, &agent);
        atexit(kill_service);
        start_service();
        fetch_creds();
        test_decisions();
        test_context();
        test_signature();
        test_endpoint();
        test_revoked();
        stop_service();
        agent_stop(&agent);
        return 0;
}
