# SPDX-License-Identifier: MIT
"""aws-compat.md 1.3: one credential_process line for every SDK.

botocore (and the AWS CLI) split credential_process with shlex.split and run
it without a shell; the JS v3 and Go v2 SDKs hand it to `/bin/sh -c`. A line
with an absolute path (here one containing a space) and double-quoted
arguments, free of $ ` \\ and ', must split the same way under both and
yield the same credentials.
"""
import json
import os
import shlex
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdkenv  # noqa: E402
from sdkenv import DEFAULT_ROLES, ROLECTL, AgentTestCase, role_ini  # noqa: E402

import boto3  # noqa: E402

ROLE = "ci+deploy=x,y.z@team_a-b"  # every punctuation character IAM allows in a role name


class Quoting(AgentTestCase):
    roles = dict(DEFAULT_ROLES, **{"40-punct.ini": role_ini(ROLE, "1h")})

    @classmethod
    def setUpClass(cls):
        # The profile needs the temp dir's name, known only now; write it
        # after the fixture made ~/.aws/config.
        super().setUpClass()
        bindir = os.path.join(cls.tmp, "bin dir")
        os.mkdir(bindir, 0o700)
        cls.rolectl_link = os.path.join(bindir, "rolectl")
        os.symlink(ROLECTL, cls.rolectl_link)
        cls.command = f'"{cls.rolectl_link}" credential-process "--role" "{ROLE}" "--duration" "1h"'
        with open(cls.aws_config, "a") as f:
            f.write(f"\n[profile quoted]\ncredential_process = {cls.command}\n")

    def expected(self):
        return self.credential_process("--role", ROLE, "--duration", "1h")

    def test_shlex_and_sh_split_alike(self):
        argv = [self.rolectl_link, "credential-process", "--role", ROLE, "--duration", "1h"]
        self.assertEqual(shlex.split(self.command), argv)
        _, out, _ = self.run_cmd(["/bin/sh", "-c", f"set -- {self.command}; printf '%s\\n' \"$@\""])
        self.assertEqual(out.split("\n")[:-1], argv)
        for c in "$`\\'":
            self.assertNotIn(c, self.command)

    def test_botocore_runs_it(self):
        expected = self.expected()
        frozen = boto3.Session(profile_name="quoted").get_credentials().get_frozen_credentials()
        self.assertEqual((frozen.access_key, frozen.secret_key, frozen.token),
                         (expected["AccessKeyId"], expected["SecretAccessKey"],
                          expected["SessionToken"]))
        self.assertEqual(self.token_claims(frozen.token)["role"], ROLE)

    def test_sh_c_runs_it(self):
        # What JS v3 (child_process.exec) and Go v2 (sh -c) do.
        expected = self.expected()
        _, out, _ = self.run_cmd(["/bin/sh", "-c", self.command])
        self.assertEqual(json.loads(out), expected)


if __name__ == "__main__":
    sdkenv.main()
