/* SPDX-License-Identifier: MIT */
/*
 * pam-driver - drives real PAM transactions for test-pam, one command per
 * line on stdin, one answer line on stdout.  test-pam runs it under
 * pam_wrapper (LD_PRELOAD=libpam_wrapper.so, PAM_WRAPPER=1,
 * PAM_WRAPPER_SERVICE_DIR), so the service files it names are the test's.
 * Several handles may be open at once, as several logins of one user are.
 *
 *   start H SERVICE USER TTY RHOST   pam_start() as handle H (0..7), set PAM_TTY and PAM_RHOST
 *   open H | close H | acct H        pam_open_session(), pam_close_session(), pam_acct_mgmt()
 *   env H NAME                       pam_getenv(): "env VALUE" or "env -"
 *   end H                            pam_end()
 *   run UID OUT PROG [ARG...]        run PROG as UID (and its groups), stdout to the file OUT:
 *                                    a process of the login, as sshd forks the shell after
 *                                    pam_open_session(), so it inherits the audit session
 * Answers: "rc N" (the PAM return code; for run, the exit status), "env ...", "ok";
 * "error ..." for bad commands.
 */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HANDLES 8

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
        (void)n;
        (void)msg;
        (void)data;
        *resp = NULL;
        return PAM_CONV_ERR;
}

/* "UID OUT PROG ARG..." (the rest of a run line): fork, become UID, exec.  Return: the exit status.
 */
static int run(char *rest)
{
        char *argv[16], *save = NULL, *out, *uid_s;
        struct passwd *pw;
        int argc = 0, status;
        pid_t pid;

        uid_s = strtok_r(rest, " \n", &save);
        out = strtok_r(NULL, " \n", &save);
        while (argc < 15 && (argv[argc] = strtok_r(NULL, " \n", &save)))
                argc++;
        argv[argc] = NULL;
        if (!uid_s || !out || argc == 0 || !(pw = getpwuid((uid_t)atoi(uid_s))))
                return -1;
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                if (fd < 0 || dup2(fd, 1) < 0 || initgroups(pw->pw_name, pw->pw_gid) < 0 ||
                    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
                    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
                        _exit(125);
                /* The program is not part of the PAM stack under test. */
                unsetenv("LD_PRELOAD");
                execv(argv[0], argv);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void)
{
        static const struct pam_conv pc = { conv, NULL };
        pam_handle_t *h[HANDLES] = { 0 };
        char line[1024];

        setvbuf(stdout, NULL, _IOLBF, 0);
        while (fgets(line, sizeof(line), stdin)) {
                char cmd[16], a[256], b[256], c[256], d[256];
                int i = -1, n;

                if (strncmp(line, "run ", 4) == 0) {
                        printf("rc %d\n", run(line + 4));
                        continue;
                }
                n = sscanf(line, "%15s %d %255s %255s %255s %255s", cmd, &i, a, b, c, d);
                if (n < 2 || i < 0 || i >= HANDLES) {
                        printf("error bad command\n");
                        continue;
                }
                if (strcmp(cmd, "start") == 0 && n == 6) {
                        int r = pam_start(a, b, &pc, &h[i]);

                        if (r == PAM_SUCCESS)
                                r = pam_set_item(h[i], PAM_TTY, c);
                        if (r == PAM_SUCCESS)
                                r = pam_set_item(h[i], PAM_RHOST, d);
                        printf("rc %d\n", r);
                } else if (!h[i]) {
                        printf("error no handle %d\n", i);
                } else if (strcmp(cmd, "open") == 0) {
                        printf("rc %d\n", pam_open_session(h[i], 0));
                } else if (strcmp(cmd, "close") == 0) {
                        printf("rc %d\n", pam_close_session(h[i], 0));
                } else if (strcmp(cmd, "acct") == 0) {
                        printf("rc %d\n", pam_acct_mgmt(h[i], 0));
                } else if (strcmp(cmd, "env") == 0 && n >= 3) {
                        const char *v = pam_getenv(h[i], a);

                        printf("env %s\n", v ? v : "-");
                } else if (strcmp(cmd, "end") == 0) {
                        pam_end(h[i], PAM_SUCCESS);
                        h[i] = NULL;
                        printf("ok\n");
                } else {
                        printf("error bad command\n");
                }
        }
        for (int i = 0; i < HANDLES; i++)
                if (h[i])
                        pam_end(h[i], PAM_SUCCESS);
        return 0;
}
