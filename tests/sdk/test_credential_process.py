# SPDX-License-Identifier: MIT
"""botocore/boto3 (Debian python3-botocore 1.29) running rolectl as credential_process.

~/.aws/config profiles name `<abs rolectl> credential-process [--role R]`;
boto3.Session(profile_name=...) must come back with exactly the credentials
rolectl prints, as RefreshableCredentials expiring when the session token
says, and a refused role must surface as CredentialRetrievalError carrying
rolectl's one-line stderr.
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdkenv  # noqa: E402
from sdkenv import ROLECTL, AgentTestCase  # noqa: E402

import boto3  # noqa: E402
from botocore.credentials import RefreshableCredentials  # noqa: E402
from botocore.exceptions import CredentialRetrievalError  # noqa: E402


def utc(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


class Checks:
    """Assertions shared by the configured and the embedded-default agents."""

    def assert_botocore_matches(self, profile, rolectl_args, role):
        expected = self.credential_process(*rolectl_args)
        creds = boto3.Session(profile_name=profile).get_credentials()
        self.assertIsInstance(creds, RefreshableCredentials)
        self.assertEqual(creds.method, "custom-process")
        frozen = creds.get_frozen_credentials()
        self.assertEqual(frozen.access_key, expected["AccessKeyId"])
        self.assertEqual(frozen.secret_key, expected["SecretAccessKey"])
        self.assertEqual(frozen.token, expected["SessionToken"])
        # botocore parsed our "...Z" Expiration into an aware datetime (1.1):
        # the instant the token itself carries.
        claims = self.token_claims(frozen.token)
        self.assertTrue(claims["valid"])
        self.assertEqual(claims["role"], role)
        self.assertEqual(claims["accessKeyId"], frozen.access_key)
        self.assertEqual(creds._expiry_time, utc(expected["Expiration"]))
        self.assertEqual(creds._expiry_time, utc(claims["expires"]))
        # Default lifetime 1h: outside botocore's 15 min advisory window.
        self.assertEqual(utc(claims["expires"]) - utc(claims["issued"]),
                         datetime.timedelta(hours=1))
        self.assertFalse(creds.refresh_needed())
        self.assertRegex(frozen.access_key, r"^ASIA[A-Z2-7]{16}$")
        self.assertEqual(len(frozen.secret_key), 40)
        return frozen


class ConfiguredAgent(Checks, AgentTestCase):
    aws_profiles = {
        "roled-main": {"credential_process": f"{ROLECTL} credential-process --role main"},
        "roled-default": {"credential_process": f"{ROLECTL} credential-process"},
        "roled-denied": {"credential_process": f"{ROLECTL} credential-process --role denied"},
    }

    def test_named_role(self):
        self.assert_botocore_matches("roled-main", ["--role", "main"], "main")

    def test_default_role_without_role_argument(self):
        # "main" is this uid's [default] role; no --role asks for it.
        frozen = self.assert_botocore_matches("roled-default", [], "main")
        via_name = self.credential_process("--role", "main")
        self.assertEqual(frozen.access_key, via_name["AccessKeyId"])

    def test_boto3_client_signs_with_process_credentials(self):
        # The credentials reach a client's signer unchanged.
        client = boto3.Session(profile_name="roled-main").client("sts")
        expected = self.credential_process("--role", "main")
        frozen = client._request_signer._credentials.get_frozen_credentials()
        self.assertEqual((frozen.access_key, frozen.secret_key, frozen.token),
                         (expected["AccessKeyId"], expected["SecretAccessKey"],
                          expected["SessionToken"]))

    def test_denied_role_raises_credential_retrieval_error(self):
        rc, out, err = self.rolectl("credential-process", "--role", "denied", check=False)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertEqual(err.count("\n"), 1, err)
        self.assertTrue(err.startswith("rolectl: AccessDenied: "), err)
        with self.assertRaises(CredentialRetrievalError) as cm:
            boto3.Session(profile_name="roled-denied").get_credentials()
        message = str(cm.exception)
        self.assertEqual(cm.exception.kwargs["provider"], "custom-process")
        self.assertIn(err.strip(), message)
        self.assertTrue(message.startswith(
            "Error when retrieving credentials from custom-process: rolectl: AccessDenied: "),
            message)


class EmbeddedDefaultAgent(Checks, AgentTestCase):
    """No configuration at all: role "default", trusted by and default of our uid."""

    roles = None
    aws_profiles = {
        "plain": {"credential_process": f"{ROLECTL} credential-process"},
        "named": {"credential_process": f"{ROLECTL} credential-process --role default"},
    }

    def test_plain_profile_gets_embedded_default_role(self):
        self.assert_botocore_matches("plain", [], "default")

    def test_role_default_by_name(self):
        a = self.assert_botocore_matches("named", ["--role", "default"], "default")
        b = boto3.Session(profile_name="plain").get_credentials().get_frozen_credentials()
        self.assertEqual(a.access_key, b.access_key)


if __name__ == "__main__":
    sdkenv.main()
