# SPDX-License-Identifier: MIT
"""test_imds.py - the agent's source credentials from IMDSv2 (label aws).

roled.ini says [aws] imds = on and names no credentials_file; the agent's
environment points AWS_EC2_METADATA_SERVICE_ENDPOINT at a fake IMDS on
127.0.0.1 (tests/util/fake_imds.py) that answers only with a session token
from PUT /latest/api/token (401 without one).  The credentials it hands out
are registered with the fake STS, which checks every signature (session
token included) with botocore's signer, so an AssumeRole that verifies was
signed with the instance role's credentials.
"""
import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsenv import ACCOUNT, SOURCE_AKID, AwsTestCase, RpcError, main, role_ini  # noqa: E402

ARN = f"arn:aws:iam::{ACCOUNT}:role/s3-reader"


class Imds(AwsTestCase):
    roles = {f"1{i}-r{i}.ini": role_ini(f"r{i}", ARN, extra_aws="session_policy = none\n")
             for i in range(4)}
    sts_roles = {ARN: 3600}
    use_imds = True

    @classmethod
    def setUpClass(cls):
        from fake_imds import FakeIMDS

        cls.imds = FakeIMDS(ACCOUNT).start()
        cls.agent_env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": cls.imds.url}
        try:
            super().setUpClass()
        except BaseException:
            cls.imds.stop()
            raise
        cls.imds.sts = cls.sts

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.imds.stop()

    def setUp(self):
        super().setUp()
        # A fresh agent (nothing fetched from IMDS yet) and fresh IMDS counters.
        self.stop_agent()
        imds = self.imds
        imds.invalidate_tokens()
        imds.creds, imds.lifetime, imds.rotate_each_fetch, imds.mode = None, 6 * 3600, False, "ok"
        imds.token_puts = imds.role_gets = imds.creds_gets = imds.refused = 0
        self.start_agent()

    def get(self, role):
        return self.client().call("GetCredentials", role=role)

    def wait_for(self, cond, what):
        for _ in range(500):
            if cond():
                return
            time.sleep(0.01)
        self.fail(f"timed out waiting for {what}")

    def test_fake_imds_refuses_requests_without_a_token(self):
        base = f"{self.imds.url}/latest/meta-data/iam/security-credentials/"
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(base, timeout=5)
        self.assertEqual(e.exception.code, 401)
        put = urllib.request.Request(f"{self.imds.url}/latest/api/token", method="PUT")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(put, timeout=5)
        self.assertEqual(e.exception.code, 400)
        self.assertEqual(self.imds.refused, 2)

    def test_sts_calls_are_signed_with_the_instance_role(self):
        cr = self.get("r0")
        self.assertEqual(cr["issuer"], "aws")
        self.assertEqual(self.imds.token_puts, 1)
        self.assertEqual((self.imds.role_gets, self.imds.creds_gets, self.imds.refused), (1, 1, 0))
        call = self.sts.calls[0]
        self.assertEqual(call["action"], "AssumeRole")
        self.assertEqual(call["akid"], self.imds.keys[-1])    # verified with its secret and token
        self.assertNotEqual(call["akid"], SOURCE_AKID)
        aws = [u for u in self.client().call("Status")["issuers"] if u["issuer"] == "aws"][0]
        self.assertEqual(aws["source"], "imds")
        self.assertNotIn("mfaWaiting", aws)                  # no mfa_serial
        # The instance credentials are kept: another role's call asks IMDS nothing more.
        self.get("r1")
        self.assertEqual(self.sts.calls[1]["akid"], self.imds.keys[-1])
        self.assertEqual((self.imds.token_puts, self.imds.creds_gets), (1, 1))
        _, out, _ = self.rolectl("credential-process", "--role", "r2")
        self.assertIn('"AccessKeyId": "ASIA', out)
        self.assertEqual(self.sts.calls[2]["akid"], self.imds.keys[-1])

    def test_refreshed_before_expiry_with_the_same_token(self):
        # 303 s: within the agent's 5-minute margin after 3 s.
        self.imds.lifetime = 303
        self.imds.rotate_each_fetch = True
        self.get("r0")
        first = self.imds.keys[-1]
        self.assertEqual(self.sts.calls[-1]["akid"], first)
        time.sleep(3.3)
        # Due: signed with the current credentials (more than a minute left) while a fetch starts.
        self.get("r1")
        self.assertEqual(self.sts.calls[-1]["akid"], first)
        self.wait_for(lambda: self.imds.creds_gets == 2 and len(self.imds.keys) == 2, "the refresh")
        time.sleep(0.2)
        self.get("r2")
        self.assertEqual(self.sts.calls[-1]["akid"], self.imds.keys[-1])
        self.assertNotEqual(self.imds.keys[-1], first)
        self.assertEqual(self.imds.token_puts, 1)              # the session token was reused
        self.assertEqual(self.imds.refused, 0)

    def test_refused_token_is_renewed(self):
        self.imds.lifetime = 303
        self.imds.rotate_each_fetch = True
        self.get("r0")
        self.imds.invalidate_tokens()                          # IMDS forgot the token
        time.sleep(3.3)
        self.get("r1")
        self.wait_for(lambda: self.imds.creds_gets == 2, "the refresh")
        self.assertEqual(self.imds.refused, 1)                 # the old token, once
        self.assertEqual(self.imds.token_puts, 2)              # then a new one
        time.sleep(0.2)
        self.get("r2")
        self.assertEqual(self.sts.calls[-1]["akid"], self.imds.keys[-1])

    def test_imds_failing_is_upstream_unavailable(self):
        self.imds.mode = "error"
        with self.assertRaises(RpcError) as e:
            self.get("r3")
        self.assertEqual(e.exception.code, "UpstreamUnavailable")
        self.assertIn(f"IMDS at {self.imds.url} answered PUT /latest/api/token with HTTP 500",
                      e.exception.message)
        self.assertEqual(self.sts.count(), 0)
        status = self.client().call("Status")
        aws = [u for u in status["issuers"] if u["issuer"] == "aws"][0]
        self.assertIn("IMDS", aws["lastError"])


if __name__ == "__main__":
    main()
