/* SPDX-License-Identifier: MIT */
/*
 * test-check-config-lint - `roled --check-config` prints the policy linter's
 * warnings for each role's documents (file, role, where, code) and still
 * passes the configuration; a clean document adds no line.
 */
#undef NDEBUG
#include "agent.h"

int main(int argc, char **argv)
{
        const char *cfg;
        char *out = NULL, *err = NULL;

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "broad.json",
                   "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": "
                   "\"*\"}]}");
        config_put(cfg, "narrow.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Read\", \"Effect\": "
                   "\"Allow\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/*\"}]}");
        config_put(cfg, "roles.d/10-broad.ini",
                   "[role]\nname = broad\npermissions = ../broad.json\n[trust]\nusers = root\n");
        config_put(cfg, "roles.d/20-narrow.ini",
                   "[role]\nname = narrow\npermissions = ../narrow.json\n[trust]\nusers = root\n");
        {
                const char *args[] = { test_roled(), "--check-config", "--config", cfg, NULL };

                int rc = run_cmd(0, NULL, NULL, args, &out, &err);

                CHECK_MSG(rc == 0, "exit %d: %s%s", rc, out, err);
        }
        CHECK_CONTAINS(out, "configuration OK (2 roles)");
        CHECK_CONTAINS(out, "broad.json (role broad): Statement[0]");
        CHECK_CONTAINS(out, "OverBroadGrant");
        CHECK_CONTAINS(out, "(role broad): Version: MissingVersion");
        CHECK_NOT_CONTAINS(out, "role narrow");
        CHECK_INT(count_lines(out), ==, 3);
        free(out);
        free(err);
        return 0;
}
