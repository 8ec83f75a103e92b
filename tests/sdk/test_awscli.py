# SPDX-License-Identifier: MIT
"""awscli v2 (Debian awscli 2.9) and boto3's STS client with roled's credentials.

  * `aws configure export-credentials --format process|env` re-emits what
    rolectl's credential_process handed the CLI;
  * `aws sts get-caller-identity --endpoint-url <fake STS>` signs with our
    key, secret and session token; the loopback fake STS (tests/util/
    fake_sts.py) recomputes the SigV4 signature with botocore's signer and the
    secret roled issued, requires X-Amz-Security-Token to be our token and
    signed, and answers GetCallerIdentity - the CLI prints that identity;
  * a tampered secret gives 403 SignatureDoesNotMatch and a tampered token
    InvalidClientTokenId, and the CLI exits non-zero;
  * the same through boto3.client("sts").
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdkenv  # noqa: E402
from sdkenv import ACCOUNT, REGION, ROLECTL, AgentTestCase  # noqa: E402
from fake_sts import FakeSTS  # noqa: E402  (tests/util, put on sys.path by sdkenv)

import boto3  # noqa: E402
import botocore.exceptions  # noqa: E402
from botocore.config import Config  # noqa: E402


def tamper(s):
    """s with its middle character changed (stays in the base64 alphabet)."""
    i = len(s) // 2
    return s[:i] + ("A" if s[i] != "A" else "B") + s[i + 1:]


class StsFixture(AgentTestCase):
    """An agent plus a running fake STS that knows the credentials roled issues."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sts = FakeSTS(REGION).start()

    @classmethod
    def tearDownClass(cls):
        cls.sts.stop()
        super().tearDownClass()

    def issue(self, role="main"):
        """Credentials of role (rolectl credential-process), registered with the fake STS."""
        creds = self.credential_process("--role", role)
        claims = self.token_claims(creds["SessionToken"])
        identity = {
            "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{claims['role']}/{claims['sessionId']}",
            "UserId": f"{claims['accessKeyId']}:{claims['sessionId']}",
            "Account": ACCOUNT,
        }
        self.sts.register(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"],
                          identity["Arn"], identity["UserId"], identity["Account"])
        return creds, identity

    def env_with(self, akid, secret, token):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret,
                   AWS_SESSION_TOKEN=token, AWS_DEFAULT_REGION=REGION)
        return env

    def caller_identity_argv(self, *extra):
        return ["sts", "get-caller-identity", "--endpoint-url", self.sts.url,
                "--output", "json", *extra]


class AwsCli(StsFixture):
    aws_profiles = {
        "roled": {"credential_process": f"{ROLECTL} credential-process --role main"},
    }

    def test_export_credentials_format_process(self):
        expected = self.credential_process("--role", "main")
        _, out, _ = self.aws("configure", "export-credentials", "--profile", "roled",
                             "--format", "process")
        got = json.loads(out)
        self.assertEqual(got["Version"], 1)
        for k in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
            self.assertEqual(got[k], expected[k], k)
        # The CLI re-emits the expiry with isoformat() (aws-compat.md 1.1).
        self.assertEqual(datetime.datetime.fromisoformat(got["Expiration"]),
                         datetime.datetime.fromisoformat(expected["Expiration"].replace("Z", "+00:00")))

    def test_export_credentials_format_env(self):
        expected = self.credential_process("--role", "main")
        _, out, _ = self.aws("configure", "export-credentials", "--profile", "roled",
                             "--format", "env")
        exported = {}
        for line in out.splitlines():
            self.assertTrue(line.startswith("export "), line)
            k, _, v = line[len("export "):].partition("=")
            exported[k] = v
        self.assertEqual(exported["AWS_ACCESS_KEY_ID"], expected["AccessKeyId"])
        self.assertEqual(exported["AWS_SECRET_ACCESS_KEY"], expected["SecretAccessKey"])
        self.assertEqual(exported["AWS_SESSION_TOKEN"], expected["SessionToken"])
        self.assertEqual(datetime.datetime.fromisoformat(exported["AWS_CREDENTIAL_EXPIRATION"]),
                         datetime.datetime.fromisoformat(expected["Expiration"].replace("Z", "+00:00")))

    def test_get_caller_identity_with_process_credentials(self):
        creds, identity = self.issue()
        before = len(self.sts.log)
        _, out, _ = self.aws(*self.caller_identity_argv("--profile", "roled"))
        self.assertEqual(json.loads(out), identity)
        self.assertEqual(self.sts.log[before:], [(creds["AccessKeyId"], "OK")])

    def test_tampered_secret_is_rejected(self):
        creds, _ = self.issue()
        env = self.env_with(creds["AccessKeyId"], tamper(creds["SecretAccessKey"]),
                            creds["SessionToken"])
        before = len(self.sts.log)
        rc, out, err = self.aws(*self.caller_identity_argv(), env=env, check=False)
        self.assertNotEqual(rc, 0)
        self.assertEqual(out, "")
        self.assertIn("(SignatureDoesNotMatch)", err)
        self.assertEqual(self.sts.log[before:], [(creds["AccessKeyId"], "SignatureDoesNotMatch")])

    def test_tampered_token_is_rejected(self):
        creds, _ = self.issue()
        env = self.env_with(creds["AccessKeyId"], creds["SecretAccessKey"],
                            tamper(creds["SessionToken"]))
        rc, _, err = self.aws(*self.caller_identity_argv(), env=env, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("(InvalidClientTokenId)", err)


class Boto3Sts(StsFixture):
    aws_profiles = {
        "roled": {"credential_process": f"{ROLECTL} credential-process --role main"},
    }

    def client(self, **kwargs):
        session = boto3.Session(**kwargs)
        client = session.client("sts", endpoint_url=self.sts.url, region_name=REGION,
                                config=Config(retries={"max_attempts": 1}))
        self.addCleanup(client.close)
        return client

    def test_get_caller_identity(self):
        creds, identity = self.issue()
        got = self.client(profile_name="roled").get_caller_identity()
        self.assertEqual({k: got[k] for k in ("Arn", "UserId", "Account")}, identity)
        self.assertEqual(self.sts.log[-1], (creds["AccessKeyId"], "OK"))

    def test_tampered_secret_is_rejected(self):
        creds, _ = self.issue()
        sts = self.client(aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=tamper(creds["SecretAccessKey"]),
                          aws_session_token=creds["SessionToken"])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            sts.get_caller_identity()
        self.assertEqual(cm.exception.response["Error"]["Code"], "SignatureDoesNotMatch")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)

    def test_unsigned_token_is_rejected(self):
        # Without the token in the request (no session token given) the fake
        # STS refuses: it insists on a signed X-Amz-Security-Token.
        creds, _ = self.issue()
        sts = self.client(aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            sts.get_caller_identity()
        self.assertEqual(cm.exception.response["Error"]["Code"], "IncompleteSignature")


if __name__ == "__main__":
    sdkenv.main()
