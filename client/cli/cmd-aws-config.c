/* SPDX-License-Identifier: MIT */
/*
 * cmd-aws-config.c - `rolectl aws-config`: one [profile PREFIXrole] with a
 * credential_process line in ~/.aws/config for every role the caller may
 * assume.  The file's other lines stay as they were (awsconfig.c); the old
 * file is kept as FILE.rolectl-backup and the new one replaces it atomically;
 * a second run with the same roles changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "awsconfig.h"
#include "cli-json.h"
#include "cli.h"

#define AWS_CONFIG_FILE_MAX (1024 * 1024) /* a larger ~/.aws/config is refused, not read */
#define BACKUP_SUFFIX ".rolectl-backup"

static const struct option options[] = {
        { "file", required_argument, NULL, 'f' },
        { "prefix", required_argument, NULL, 'p' },
        { "dry-run", no_argument, NULL, 'n' },
        { CLI_LONGOPT_JSON },
        { CLI_LONGOPT_HELP },
        {},
};

/*
 * default_path() - $AWS_CONFIG_FILE, else $HOME/.aws/config, as the AWS CLI
 * finds it.  (No passwd lookup: rolectl is linked statically, NSS is not.)
 */
static int default_path(char *buf, size_t size, bool *is_defaultp)
{
        const char *env = getenv("AWS_CONFIG_FILE");
        const char *home = getenv("HOME");
        int n;

        *is_defaultp = false;
        if (env && *env)
                n = snprintf(buf, size, "%s", env);
        else {
                if (!home || home[0] != '/')
                        return -ENOENT;
                n = snprintf(buf, size, "%s/.aws/config", home);
                *is_defaultp = true;
        }
        return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

/* read_all() - the file at @path into *@textp (heap, NUL-terminated); -ENOENT when absent. */
static int read_all(const char *path, char **textp, size_t *lenp, mode_t *modep)
{
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        ssize_t n;
        size_t len = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -EINVAL;
        }
        buf = malloc(AWS_CONFIG_FILE_MAX + 2);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while ((n = read(fd, buf + len, AWS_CONFIG_FILE_MAX + 1 - len)) != 0) {
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        n = -errno;
                        close(fd);
                        return (int)n;
                }
                len += (size_t)n;
                if (len > AWS_CONFIG_FILE_MAX) {
                        close(fd);
                        return -EFBIG;
                }
        }
        close(fd);
        buf[len] = '\0';
        *textp = steal_pointer(&buf);
        *lenp = len;
        *modep = st.st_mode & 07777;
        return 0;
}

/* write_atomic() - @path holds exactly @text afterwards (mode @mode), or is untouched. */
static int write_atomic(const char *path, const char *text, size_t len, mode_t mode)
{
        char tmp[PATH_MAX];
        int fd, r;

        if (snprintf(tmp, sizeof(tmp), "%s.rolectl-XXXXXX", path) >= (int)sizeof(tmp))
                return -ENAMETOOLONG;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = fchmod(fd, mode) < 0 ? -errno : 0;
        if (r == 0)
                r = cli_write_all(fd, text, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

/* command_line() - "'/usr/bin/rolectl' [--socket S] credential-process --role R", shell-quoted. */
static void command_line(JsonBuf *b, const char *exe, const char *role)
{
        cli_shell_quote(b, exe);
        if (cli_globals.socket_path) {
                json_rawz(b, " --socket ");
                cli_shell_quote(b, cli_globals.socket_path);
        }
        json_rawz(b, " credential-process --role ");
        cli_shell_quote(b, role);
}

static int report(const char *path, const char *backup, bool is_changed, bool is_dry_run,
                  const char *const *role_names, const AwsProfile *profiles, size_t n, bool is_json)
{
        if (is_json) {
                json_t *o = json_pack("{s:s, s:s?, s:b, s:b, s:[], s:[]}", "file", path, "backup",
                                      backup, "changed", is_changed, "dryRun", is_dry_run,
                                      "profiles", "skipped");
                json_t *written = o ? json_object_get(o, "profiles") : NULL;
                json_t *skipped = o ? json_object_get(o, "skipped") : NULL;

                for (size_t i = 0; o && i < n; i++)
                        json_array_append_new(profiles[i].is_skipped ? skipped : written,
                                              json_pack("{s:s, s:s}", "profile", profiles[i].name,
                                                        "role", role_names[i]));
                return cli_print_json(o);
        }
        for (size_t i = 0; i < n; i++)
                printf("%s [profile %s] role %s\n", profiles[i].is_skipped ? "skipped" : "profile",
                       profiles[i].name, role_names[i]);
        if (is_dry_run)
                printf("%s: would be %s (dry run)\n", path, is_changed ? "changed" : "unchanged");
        else if (is_changed)
                printf("%s: updated%s%s%s\n", path, backup ? " (the old file is " : "",
                       backup ? backup : "", backup ? ")" : "");
        else
                printf("%s: unchanged\n", path);
        return EXIT_OK;
}

/* list_roles() - ListRoles into *@c->data: the command keeps the list past cli_call(). */
static roled_status list_roles(roled_client *client, CliCall *c, roled_error *err)
{
        return roled_list_roles(client, c->data, err);
}

static int cmd_aws_config(int argc, char **argv)
{
        const char *prefix = "roled-", *file = NULL;
        char path[PATH_MAX], backup[PATH_MAX + 32], exe[PATH_MAX];
        _cleanup_free_ char *old = NULL;
        _cleanup_free_ AwsProfile *profiles = NULL;
        _cleanup_free_ char **names = NULL, **cmdv = NULL;
        bool is_oom = false;
        roled_role_list *roles = NULL;
        const char **mine = NULL;
        JsonBuf text = JSON_BUF_INIT;
        CliCall c = { .data = &roles, .opts.is_json = cli_globals.is_json };
        bool is_dry_run = false, is_default = false, is_changed;
        size_t n_roles = 0, n = 0, old_len = 0;
        mode_t mode = 0600;
        ssize_t k;
        int o, r;

        while ((o = getopt_long(argc, argv, ":f:p:njh", options, NULL)) != -1) {
                switch (o) {
                case 'f':
                        file = optarg;
                        break;
                case 'p':
                        prefix = optarg;
                        break;
                case 'n':
                        is_dry_run = true;
                        break;
                default:
                        r = cli_option(o, argv, &c.opts);
                        if (r != CLI_GO_ON)
                                return r;
                }
        }
        if (optind < argc)
                return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
        if (strspn(prefix,
                   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@+=,-") !=
            strlen(prefix))
                return cli_usage_error(argv[0],
                                       "--prefix may hold only letters, digits and _.@+=,-");
        if (file) {
                if (snprintf(path, sizeof(path), "%s", file) >= (int)sizeof(path))
                        return cli_usage_error(argv[0], "--file: path too long");
        } else if (default_path(path, sizeof(path), &is_default) < 0) {
                cli_error("cannot find the AWS config file: set HOME or AWS_CONFIG_FILE");
                return EXIT_USAGE;
        }
        k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (k <= 0) {
                cli_error("cannot find rolectl's own path: %s", strerror(errno));
                return EXIT_DENIED;
        }
        exe[k] = '\0';

        r = cli_call(list_roles, NULL, &c, NULL);
        if (r != EXIT_OK)
                return r;
        n_roles = roled_role_list_count(roles);

        /* Only roles the caller may assume; root sees every role but may assume few. */
        mine = calloc(n_roles ? n_roles : 1, sizeof(*mine));
        profiles = calloc(n_roles ? n_roles : 1, sizeof(*profiles));
        names = calloc(n_roles ? n_roles : 1, sizeof(*names));
        cmdv = calloc(n_roles ? n_roles : 1, sizeof(*cmdv));
        if (!mine || !profiles || !names || !cmdv) {
                r = EXIT_DENIED;
                cli_error("out of memory");
                goto out;
        }
        for (size_t i = 0; i < n_roles; i++) {
                JsonBuf cmd = JSON_BUF_INIT;

                if (!roled_role_list_is_assumable(roles, i))
                        continue;
                mine[n] = roled_role_list_name(roles, i);
                command_line(&cmd, exe, roled_role_list_name(roles, i));
                json_raw(&cmd, "", 1);
                cmdv[n] = cmd.is_oom ? NULL : strdup(cmd.data);
                json_buf_deinit(&cmd);
                if (asprintf(&names[n], "%s%s", prefix, roled_role_list_name(roles, i)) < 0)
                        names[n] = NULL;
                if (!cmdv[n] || !names[n])
                        is_oom = true;
                profiles[n].name = names[n];
                profiles[n].command = cmdv[n];
                n++;
        }
        if (is_oom) {
                r = EXIT_DENIED;
                cli_error("out of memory");
                goto out;
        }

        r = read_all(path, &old, &old_len, &mode);
        if (r == -ENOENT) {
                old_len = 0;
        } else if (r < 0) {
                cli_error("cannot read %s: %s", path,
                          r == -EFBIG    ? "larger than 1 MiB"
                          : r == -EINVAL ? "not a regular file"
                                         : strerror(-r));
                r = EXIT_DENIED;
                goto out;
        }
        awsconfig_merge(old ? old : "", old_len, profiles, n, &text);
        if (text.is_oom) {
                r = EXIT_DENIED;
                cli_error("out of memory");
                goto out;
        }
        for (size_t i = 0; i < n; i++)
                if (profiles[i].is_skipped)
                        cli_error("%s: profile '%s' exists and is not rolectl's; left alone", path,
                                  profiles[i].name);
        is_changed = text.len != old_len || (old_len && memcmp(text.data, old, old_len));
        *backup = '\0';
        if (is_changed && !is_dry_run) {
                if (!old && is_default) {
                        /* ~/.aws itself may be missing on a fresh account; the AWS CLI makes it
                         * 0700 too. */
                        char dir[PATH_MAX];

                        snprintf(dir, sizeof(dir), "%s", path);
                        *strrchr(dir, '/') = '\0';
                        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                                cli_error("cannot create %s: %s", dir, strerror(errno));
                                r = EXIT_DENIED;
                                goto out;
                        }
                }
                if (old) {
                        snprintf(backup, sizeof(backup), "%s" BACKUP_SUFFIX, path);
                        r = write_atomic(backup, old, old_len, mode);
                        if (r < 0) {
                                cli_error("cannot write the backup %s: %s", backup, strerror(-r));
                                r = EXIT_DENIED;
                                goto out;
                        }
                }
                r = write_atomic(path, text.data, text.len, mode);
                if (r < 0) {
                        cli_error("cannot write %s: %s", path, strerror(-r));
                        r = EXIT_DENIED;
                        goto out;
                }
        }
        r = report(path, *backup ? backup : NULL, is_changed, is_dry_run, mine, profiles, n,
                   c.opts.is_json);
out:
        for (size_t i = 0; names && cmdv && i < n; i++) {
                free(names[i]);
                free(cmdv[i]);
        }
        json_buf_deinit(&text);
        free(mine);
        roled_role_list_unref(roles);
        return r;
}

const CliCommand cli_cmd_aws_config = {
        .run = cmd_aws_config,
};
