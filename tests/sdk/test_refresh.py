# SPDX-License-Identifier: MIT
"""botocore's refresh windows against roled's Expiration and refresh-ahead rule.

botocore re-runs credential_process on every credential access once fewer
than 15 min (advisory) remain, and fails only when refreshed credentials are
already expired (aws-compat.md 1.2). roled serves one cached session per
(role, caller) and renews it once fewer than max(20 min, lifetime/4) (at most
lifetime/2) remain, or after `rolectl revoke` (DESIGN.md 6).

  * 15 min credentials (role max 15m, --duration 900) sit in botocore's
    advisory window from the start: every access re-runs rolectl, which keeps
    getting the same cached key until revoke, and then a fresh one.
  * 1 h credentials: repeated credential_process runs return the same cached
    key while more than 20 min remain; after revoke a fresh key; a botocore
    object holding the old key keeps it (outside its refresh window it never
    re-runs the process).
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdkenv  # noqa: E402
from sdkenv import ROLECTL, AgentTestCase  # noqa: E402

import boto3  # noqa: E402
from botocore.credentials import RefreshableCredentials  # noqa: E402


def utc(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def remaining(creds_json):
    return (utc(creds_json["Expiration"]) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()


class RefreshWindow(AgentTestCase):
    aws_profiles = {
        "short15": {"credential_process":
                    f"{ROLECTL} credential-process --role short --duration 900"},
        "main1h": {"credential_process": f"{ROLECTL} credential-process --role main"},
    }

    def test_15_minute_credentials_are_refreshed_on_every_access(self):
        creds = boto3.Session(profile_name="short15").get_credentials()
        self.assertIsInstance(creds, RefreshableCredentials)
        first = creds.get_frozen_credentials()
        claims = self.token_claims(first.token)
        self.assertEqual(claims["role"], "short")
        self.assertEqual(utc(claims["expires"]) - utc(claims["issued"]),
                         datetime.timedelta(seconds=900))
        self.assertEqual(creds._expiry_time, utc(claims["expires"]))
        # Within the advisory window (< 900 s left) from the first moment on.
        self.assertTrue(creds.refresh_needed())
        self.assertTrue(creds.refresh_needed(creds._advisory_refresh_timeout))

        # Each access re-runs rolectl; the agent answers from its cache.
        again = creds.get_frozen_credentials()
        self.assertEqual(again, first)
        self.assertEqual(self.credential_process("--role", "short", "--duration", "900")
                         ["AccessKeyId"], first.access_key)

        # After revoke the very same botocore object picks up a fresh key on
        # its next access: proof that it re-ran the process.
        self.rolectl("revoke", "--role", "short")
        fresh = creds.get_frozen_credentials()
        self.assertNotEqual(fresh.access_key, first.access_key)
        self.assertNotEqual(fresh.secret_key, first.secret_key)
        self.assertNotEqual(fresh.token, first.token)
        now = self.credential_process("--role", "short", "--duration", "900")
        self.assertEqual((fresh.access_key, fresh.secret_key, fresh.token),
                         (now["AccessKeyId"], now["SecretAccessKey"], now["SessionToken"]))
        self.assertEqual(creds._expiry_time, utc(now["Expiration"]))

    def test_one_hour_credentials_are_cached_until_revoked(self):
        a = self.credential_process("--role", "main")
        self.assertGreater(remaining(a), 20 * 60)
        b = self.credential_process("--role", "main")
        self.assertEqual(a, b)  # same key, secret, token and Expiration

        creds = boto3.Session(profile_name="main1h").get_credentials()
        self.assertFalse(creds.refresh_needed())
        held = creds.get_frozen_credentials()
        self.assertEqual(held.access_key, a["AccessKeyId"])
        self.assertEqual(creds._expiry_time, utc(a["Expiration"]))

        self.rolectl("revoke", "--role", "main")
        c = self.credential_process("--role", "main")
        self.assertNotEqual(c["AccessKeyId"], a["AccessKeyId"])
        self.assertNotEqual(c["SessionToken"], a["SessionToken"])
        self.assertGreater(remaining(c), 20 * 60)
        self.assertEqual(self.credential_process("--role", "main"), c)

        # botocore does not re-run the process outside its window: a client
        # built before the revoke keeps the old key until 15 min before expiry.
        self.assertEqual(creds.get_frozen_credentials(), held)
        # A new session gets the fresh one.
        new = boto3.Session(profile_name="main1h").get_credentials().get_frozen_credentials()
        self.assertEqual(new.access_key, c["AccessKeyId"])

    def test_revoke_of_one_role_keeps_the_other(self):
        main = self.credential_process("--role", "main")
        short = self.credential_process("--role", "short", "--duration", "900")
        self.rolectl("revoke", "--role", "short")
        self.assertEqual(self.credential_process("--role", "main"), main)
        self.assertNotEqual(self.credential_process("--role", "short", "--duration", "900")
                            ["AccessKeyId"], short["AccessKeyId"])


if __name__ == "__main__":
    sdkenv.main()
