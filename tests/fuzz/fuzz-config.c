/* SPDX-License-Identifier: MIT */
/*
 * fuzz-config.c - libFuzzer target for the INI configuration loader
 * (agent/config.c over inih).  The input is the text of roled.ini, a NUL
 * byte, and the text of one role file; both are written into a private
 * folder (0700, files 0600, so the loader's safety checks pass) next to a
 * fixed policies/p.json, and config_load() must either load them or name
 * file, line and reason, without leaking or crashing.  The folder is removed
 * when the process exits normally (libFuzzer's end of -runs or
 * -max_total_time, replay.c's return from main()); a crash leaves it behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char agent_ini[96], role_ini[96];

/* put() - write data[0, len) to path (0600), replacing what was there. */
static void put(const char *path, const void *data, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len) || close(fd) != 0)
                abort();
}

/* unlink_one() - nftw() callback: remove one entry, children before their folder. */
static int unlink_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* cleanup() - atexit(): remove the folder init() made and everything in it. */
static void cleanup(void)
{
        if (dir[0] && nftw(dir, unlink_one, 8, FTW_DEPTH | FTW_PHYS) != 0)
                perror(dir);
}

/* init() - the folder shared by every run: roled.ini, roles.d/, policies/p.json. */
static void init(void)
{
        static const char policy[] =
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                "\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}";
        const char *tmp = getenv("TMPDIR");
        char path[128];

        if (dir[0])
                return;
        snprintf(dir, sizeof(dir), "%s/fuzz-config.XXXXXX", tmp && strlen(tmp) < 32 ? tmp : "/tmp");
        if (!mkdtemp(dir) || atexit(cleanup) != 0)
                abort();
        snprintf(path, sizeof(path), "%s/roles.d", dir);
        if (mkdir(path, 0700) != 0)
                abort();
        snprintf(path, sizeof(path), "%s/policies", dir);
        if (mkdir(path, 0700) != 0)
                abort();
        snprintf(path, sizeof(path), "%s/policies/p.json", dir);
        put(path, policy, sizeof(policy) - 1);
        snprintf(agent_ini, sizeof(agent_ini), "%s/roled.ini", dir);
        snprintf(role_ini, sizeof(role_ini), "%s/roles.d/r.ini", dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *nul = memchr(data, '\0', size);
        size_t agent_len = nul ? (size_t)(nul - data) : size;
        Config *config = NULL;
        ConfigError err;
        int r;

        init();
        put(agent_ini, data, agent_len);
        if (nul)
                put(role_ini, nul + 1, size - agent_len - 1);
        else if (unlink(role_ini) != 0 && errno != ENOENT)
                abort();
        r = config_load(dir, getuid(), &config, &err);
        if (r == 0) {
                if (!config)
                        abort();
                /* Every role that loaded has a name the protocol accepts. */
                for (size_t i = 0; i < config->n_roles; i++)
                        if (!config_role_name_valid(config->roles[i].name,
                                                    strlen(config->roles[i].name)))
                                abort();
        } else if (r > 0 && !err.message[0]) {
                abort(); /* a refusal always says why */
        }
        config_free(config);
        return 0;
}
