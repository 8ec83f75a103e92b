# SPDX-License-Identifier: MIT
"""test_mfa_timeout.py - no MFA code arrives (label aws; about a minute).

With [aws] mfa_serial and no mfa_process, a request that needs the MFA
session waits for `rolectl mfa CODE` at most 60 s (MFA_TIMEOUT_MS in
agent/mfa.h), then fails with AccessDenied naming what to do; nothing
reaches STS, and the agent serves other requests throughout.  A code sent
afterwards still works.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsenv import ACCOUNT, AwsTestCase, main, role_ini  # noqa: E402

ARN = f"arn:aws:iam::{ACCOUNT}:role/s3-reader"
MFA_SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/ops"
CODE = "135790"


class MfaTimeout(AwsTestCase):
    roles = {"10-m.ini": role_ini("m", ARN, extra_aws="session_policy = none\n"),
             "20-loc.ini": "[role]\nname = loc\n\n[trust]\nuids = 0-65535\n"}
    sts_roles = {ARN: 3600}
    aws_extra = f"mfa_serial = {MFA_SERIAL}\n"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sts.mfa_serial = MFA_SERIAL
        cls.sts.mfa_code = CODE

    def test_waiting_request_fails_after_a_minute(self):
        c = self.client()
        start = time.monotonic()
        waiting = c.send("GetCredentials", role="m")
        # Served meanwhile, on the same connection and another.
        self.assertEqual(c.recv(c.send("GetCallerIdentity"))[0], None)
        self.assertNotIn(waiting, c.replies)
        self.assertEqual(self.client().call("GetCredentials", role="loc")["issuer"], "local")
        err, _ = c.recv(waiting)
        elapsed = time.monotonic() - start
        self.assertIsNotNone(err)
        self.assertEqual(err["code"], "AccessDenied")
        self.assertIn("no code arrived within 60 s; supply one with 'rolectl mfa CODE'", err["message"])
        self.assertGreaterEqual(elapsed, 59)
        self.assertEqual(self.sts.count(), 0)
        # A code now: the MFA session, and the next request goes through.
        _, out, _ = self.rolectl("mfa", CODE)
        self.assertIn("0 waiting requests went on", out)
        self.assertEqual(self.client().call("GetCredentials", role="m")["issuer"], "aws")
        self.assertEqual(self.sts.count("GetSessionToken"), 1)


if __name__ == "__main__":
    main()
