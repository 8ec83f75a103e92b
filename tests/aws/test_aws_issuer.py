# SPDX-License-Identifier: MIT
"""test_aws_issuer.py - the aws issuer against a fake STS over HTTPS (label aws).

Every request the agent sends is checked by the fake with botocore's SigV4
signer (upstream_sts.py); these tests check what the agent does with the
answers: caching, single flight, errors, backoff, serving through an outage
until expiry and never after, refresh ahead, role chaining and the session
policy it sends; and that a session names the caller's executable (the
roled:exe tag, USER@PROGRAM as session name) only for a role whose answers
rest on it (exe rules, claim_exe), even when a caller execve()s a trusted
program right after writing its request.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsenv import (ACCOUNT, ROLECTL, SOURCE_AKID, AwsTestCase, Client, RpcError, as_uid,  # noqa: E402
                    main,
                    role_ini)

ARN_S3 = f"arn:aws:iam::{ACCOUNT}:role/s3-reader"
ARN_OPS = f"arn:aws:iam::{ACCOUNT}:role/ops/deployer"
ARN_HOP = f"arn:aws:iam::{ACCOUNT}:role/hop"
ARN_TARGET = f"arn:aws:iam::{ACCOUNT}:role/target"
# What this test runs as (Debian's /usr/bin/python3 links to python3.N).
SELF_EXE = os.path.realpath("/proc/self/exe")
# The "trusted program" a caller execve()s right after writing its request.
TRUSTED = os.path.realpath("/bin/sleep")
PERMISSIONS = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                   "Resource": ["arn:aws:s3:::example", "arn:aws:s3:::example/*"]}],
}


class AwsIssuer(AwsTestCase):
    policies = {"s3.json": json.dumps(PERMISSIONS, indent=4) + "\n"}
    # One role per test that needs a cache key (and backoff state) of its own.
    roles = {f"10-{n}.ini": role_ini(n, ARN_S3, permissions="s3.json")
             for n in ("s3", "flight", "wait", "err", "throttle", "outage", "refresh", "par")}
    roles.update({
        "20-ops.ini": role_ini("ops", ARN_OPS, permissions="s3.json"),
        "30-hop.ini": role_ini("hop", ARN_HOP, extra_aws="session_policy = none\n"),
        "40-target.ini": role_ini("target", ARN_TARGET,
                                  extra_aws="source_role = hop\nsession_policy = none\n"),
        "50-open.ini": role_ini("open", ARN_OPS, extra_aws="session_policy = none\n"),
        "60-drop.ini": role_ini("drop", ARN_OPS, extra_aws="session_policy = none\n"),
        "70-by-exe.ini": role_ini("by-exe", ARN_OPS, extra_aws="session_policy = none\n",
                                  trust=f"uids = 0-65535\nexe = {SELF_EXE}"),
        "71-claimed.ini": role_ini("claimed", ARN_OPS, extra_role="claim_exe = yes\n",
                                   extra_aws="session_policy = none\n"),
        "72-exec.ini": role_ini("exec", ARN_OPS, extra_aws="session_policy = none\n"),
    })
    sts_roles = {ARN_S3: 43200, ARN_OPS: 3600, ARN_HOP: 3600, ARN_TARGET: 43200}

    def get(self, role, client=None, **params):
        return (client or self.client()).call("GetCredentials", role=role, **params)

    def setUp(self):
        super().setUp()
        self.revoke_all()

    def test_credentials_come_from_sts(self):
        cr = self.get("s3")
        self.assertEqual(cr["issuer"], "aws")
        self.assertTrue(cr["accessKeyId"].startswith("ASIA"))
        self.assertIn(cr["accessKeyId"], self.sts.keys)
        self.assertEqual(self.sts.keys[cr["accessKeyId"]]["secret"], cr["secretAccessKey"])
        self.assertEqual(self.sts.keys[cr["accessKeyId"]]["token"], cr["sessionToken"])
        self.assertEqual(cr["roleArn"], ARN_S3)
        # No exe rules: the session names no program (test_exe_named_only_when_checked).
        self.assertEqual(cr["assumedRoleArn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/s3-reader/root")
        self.assertEqual(self.sts.count("AssumeRole"), 1)
        call = self.sts.calls[0]
        self.assertEqual(call["akid"], SOURCE_AKID)
        p = call["params"]
        self.assertEqual(p["RoleArn"], ARN_S3)
        self.assertEqual(p["SourceIdentity"], "root")
        self.assertEqual(p["DurationSeconds"], "3600")
        self.assertEqual(p["RoleSessionName"], "root")
        tags = self.tags(p)
        self.assertEqual(tags["roled:uid"], "0")
        self.assertEqual(tags["roled:user"], "root")
        self.assertNotIn("roled:exe", tags)
        self.assertEqual(tags["roled:host"], os.uname().nodename[:64])
        # Cached: the same session again, no second call.
        again = self.get("s3")
        self.assertEqual(again["accessKeyId"], cr["accessKeyId"])
        self.assertEqual(self.sts.count("AssumeRole"), 1)

    @staticmethod
    def tags(params):
        return {params[f"Tags.member.{i}.Key"]: params[f"Tags.member.{i}.Value"]
                for i in range(1, 10) if f"Tags.member.{i}.Key" in params}

    def test_caller_session_name_cannot_pose_as_agents(self):
        # USER@PROGRAM is the agent's form (the program checked for the request).
        # Before, AssumeRole's sessionName went to STS as given: "admin@deploy-tool"
        # was RoleSessionName "admin@deploy-tool" on a role that checks no program,
        # for CloudTrail the agent naming admin's deploy-tool.
        other = 20001

        def refused(name):
            try:
                Client(self.socket).call("AssumeRole", role="exec", sessionName=name)
            except RpcError as e:
                return 0 if e.code == "InvalidParameterValue" and "'@'" in e.message else 2
            return 1

        for name in ("root@sleep", "admin@deploy-tool", "a@", "@x"):
            self.assertEqual(refused(name), 0, name)
            self.assertEqual(as_uid(other, lambda: refused(name)), 0, name)
        self.assertEqual(self.sts.calls, [])
        # Other names are the caller's and go to STS as given; SourceIdentity and
        # the tags come from the agent (the attested caller), whatever the name says.
        cr = self.client().call("AssumeRole", role="exec", sessionName="admin-deploy.tool")
        self.assertEqual(cr["assumedRoleArn"],
                         f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/admin-deploy.tool")
        self.assertEqual(as_uid(other, lambda: 0 if Client(self.socket).call(
            "AssumeRole", role="exec", sessionName="admin-deploy.tool") else 1), 0)
        calls = [c["params"] for c in self.sts.calls]
        self.assertEqual(len(calls), 2)
        for p, uid in zip(calls, (0, other)):
            self.assertEqual(p["RoleSessionName"], "admin-deploy.tool")
            self.assertEqual(self.tags(p)["roled:uid"], str(uid))
            self.assertNotEqual(p["SourceIdentity"], "admin")
        self.assertEqual(calls[0]["SourceIdentity"], "root")
        # The agent's own names still carry '@': GetCredentials on a role that checks the program.
        self.sts.reset()
        c = self.client()
        c.call("Hello")
        self.get("by-exe", client=c)
        self.assertEqual(self.sts.calls[0]["params"]["RoleSessionName"],
                         f"root@{os.path.basename(SELF_EXE)}")

    def test_exe_named_only_when_checked(self):
        # A role with an exe rule, and one with claim_exe: the agent checked the
        # executable for the request, and the session names it.
        for role in ("by-exe", "claimed"):
            self.sts.reset()
            c = self.client()
            c.call("Hello")   # as libroled: the request is sent once the agent has attested
            self.get(role, client=c)
            p = self.sts.calls[0]["params"]
            self.assertEqual(self.tags(p)["roled:exe"], SELF_EXE, role)
            self.assertEqual(p["RoleSessionName"], f"root@{os.path.basename(SELF_EXE)}", role)

    def test_write_then_exec_is_not_named(self):
        """The attack: write the request and execve() a trusted program at once.

        A role without exe rules: the agent does not check which program wrote
        the request, so the session must name none (before, roled:exe and the
        session name named whichever program the agent saw when it attested:
        the trusted one when the execve() came first)."""
        import msgpack

        rounds = 10
        request = msgpack.packb([0, 1, "GetCredentials", [{"role": "exec"}]])
        for _ in range(rounds):
            self.revoke_all()
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            pid = os.fork()
            if pid == 0:
                try:
                    s.connect(self.socket)
                    s.sendall(request)
                    os.execv(TRUSTED, [TRUSTED, "5"])
                finally:
                    os._exit(127)
            try:
                # This process keeps a copy of the socket and reads the answer.
                for _ in range(1000000):
                    try:
                        s.getpeername()
                        break
                    except OSError:
                        pass
                up = msgpack.Unpacker(raw=False)
                s.settimeout(20)
                answers = []
                while not answers:
                    data = s.recv(65536)
                    self.assertTrue(data, "the agent closed the connection")
                    up.feed(data)
                    answers = [m for m in up if m[0] == 1]
                self.assertIsNone(answers[0][2])
            finally:
                s.close()
                os.kill(pid, 9)
                os.waitpid(pid, 0)
        calls = [c["params"] for c in self.sts.calls if c["action"] == "AssumeRole"]
        self.assertEqual(len(calls), rounds)
        for p in calls:
            self.assertNotIn("roled:exe", self.tags(p))
            self.assertEqual(p["RoleSessionName"], "root")

    def test_session_policy_is_the_roles_permissions(self):
        self.get("s3")
        sent = self.sts.calls[0]["params"]["Policy"]
        self.assertEqual(json.loads(sent), PERMISSIONS)
        self.assertNotIn("\n", sent)   # sent compact
        self.get("open")
        self.assertNotIn("Policy", self.sts.calls[1]["params"])

    def test_single_flight(self):
        self.sts.delay = 0.3
        clients = [Client(self.socket) for _ in range(100)]
        try:
            ids = [c.send("GetCredentials", role="flight") for c in clients]
            replies = [c.recv(i) for c, i in zip(clients, ids)]
        finally:
            for c in clients:
                c.close()
        self.assertTrue(all(err is None for err, _ in replies), replies[:3])
        self.assertEqual(len({r["accessKeyId"] for _, r in replies}), 1)
        self.assertEqual(self.sts.count("AssumeRole"), 1)

    def test_waiting_request_does_not_block_others(self):
        self.sts.delay = 1.0
        c = self.client()
        start = time.monotonic()
        slow = c.send("GetCredentials", role="wait")
        fast = c.send("GetCallerIdentity")
        err, who = c.recv(fast)
        self.assertIsNone(err)
        self.assertEqual(who["uid"], 0)
        self.assertNotIn(slow, c.replies)   # answered while the STS call was still out
        self.assertLess(time.monotonic() - start, 1.0)
        other = self.client().call("Status")
        self.assertIn("sessions", other)
        err, cr = c.recv(slow)
        self.assertIsNone(err)
        self.assertEqual(cr["issuer"], "aws")

    def test_sts_error_passes_through(self):
        msg = f"User: {SOURCE_ARN_TEXT} is not authorized to perform: sts:AssumeRole on resource: {ARN_S3}"
        self.sts.fail_next(403, "AccessDenied", msg)
        with self.assertRaises(RpcError) as e:
            self.get("err")
        self.assertEqual(e.exception.code, "AccessDenied")
        self.assertIn("AccessDenied: " + msg, e.exception.message)
        # rolectl prints it on one line and exits 1.
        self.sts.fail_next(403, "RegionDisabledException",
                           "STS is not activated in this region for account\n123")
        rc, out, err = self.rolectl("credential-process", "--role", "ops", check=False)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("RegionDisabledException: STS is not activated in this region for account 123",
                      err)

    def test_slow_sts_is_waited_for_by_credential_process(self):
        # An STS answer slower than libroled's default 5 s: credential-process
        # waits as long as the agent's STS call may take, instead of reporting
        # an agent that cannot be reached (exit 3) while the agent still works.
        self.sts.delay = 6
        try:
            rc, out, err = self.rolectl("credential-process", "--role", "ops", check=False)
        finally:
            self.sts.delay = 0
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        self.assertTrue(doc["AccessKeyId"].startswith("ASIA"))

    def test_throttling_then_backoff(self):
        self.sts.mode = "throttle"
        with self.assertRaises(RpcError) as e:
            self.get("throttle")
        self.assertEqual(e.exception.code, "Throttling")
        self.assertIn("Throttling: Rate exceeded", e.exception.message)
        attempts = len(self.sts.log)
        # In backoff: the last error again, without calling STS.
        with self.assertRaises(RpcError) as e:
            self.get("throttle")
        self.assertEqual(e.exception.code, "Throttling")
        self.assertEqual(len(self.sts.log), attempts)
        self.sts.mode = "ok"
        time.sleep(4.1)                  # the first backoff is 2..4 s
        self.assertEqual(self.get("throttle")["issuer"], "aws")
        self.assertEqual(len(self.sts.log), attempts + 1)

    def test_dropped_connection_is_upstream_unavailable(self):
        self.sts.mode = "down"
        with self.assertRaises(RpcError) as e:
            self.get("drop")
        self.assertEqual(e.exception.code, "UpstreamUnavailable")
        self.assertIn("did not answer", e.exception.message)
        status = self.client().call("Status")
        aws = [u for u in status["issuers"] if u["issuer"] == "aws"][0]
        self.assertEqual(aws["state"], "failing")
        self.assertIn("did not answer", aws["lastError"])
        # rolectl status and explain show it.
        _, out, _ = self.rolectl("status")
        self.assertIn('"issuer":"aws","state":"failing"', out)
        _, out, _ = self.rolectl("explain", "drop")
        self.assertIn(f"arn          {ARN_OPS}\n", out)
        self.assertIn("issuer       aws\n", out)
        self.assertRegex(out, r"upstream     failing, \d+ call\(s\); last error: .*did not answer")
        _, out, _ = self.rolectl("explain", "drop", "--json")
        self.assertEqual(json.loads(out)["upstream"]["state"], "failing")

    def test_outage_served_until_expiry_never_after(self):
        self.sts.lifetime = 8            # refresh from 4 s before expiry
        first = self.get("outage")
        expires = first["expiration"]
        self.sts.mode = "down"
        time.sleep(max(0, expires - 3.5 - time.time()))
        during = self.get("outage")          # due for refresh, upstream down: still served
        self.assertEqual(during["accessKeyId"], first["accessKeyId"])
        time.sleep(max(0, expires + 1.1 - time.time()))
        with self.assertRaises(RpcError) as e:
            self.get("outage")
        self.assertEqual(e.exception.code, "UpstreamUnavailable")

    def test_refresh_ahead(self):
        self.sts.lifetime = 8
        first = self.get("refresh")
        self.sts.lifetime = None
        time.sleep(max(0, first["expiration"] - 3.5 - time.time()))
        served = self.get("refresh")          # due: the old session while the new one is fetched
        self.assertEqual(served["accessKeyId"], first["accessKeyId"])
        for _ in range(100):
            if self.sts.count("AssumeRole") == 2:
                break
            time.sleep(0.02)
        time.sleep(0.1)
        fresh = self.get("refresh")
        self.assertNotEqual(fresh["accessKeyId"], first["accessKeyId"])
        self.assertEqual(self.sts.count("AssumeRole"), 2)

    def test_role_chaining_limit(self):
        with self.assertRaises(RpcError) as e:
            self.get("target", durationSeconds=7200)
        self.assertEqual(e.exception.code, "InvalidParameterValue")
        self.assertEqual(self.sts.count(), 0)
        cr = self.get("target")
        calls = self.sts.calls
        self.assertEqual([c["params"]["RoleArn"] for c in calls], [ARN_HOP, ARN_TARGET])
        self.assertEqual(calls[0]["akid"], SOURCE_AKID)
        self.assertTrue(calls[1]["akid"].startswith("ASIA"))   # signed with the hop's session
        self.assertEqual(calls[1]["params"]["DurationSeconds"], "3600")
        self.assertTrue(cr["assumedRoleArn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/target/"))
        # The hop's session is cached: another caller's chain costs one call.
        as_uid(20001, lambda: 0 if Client(self.socket).call("GetCredentials", role="target") else 1)
        self.assertEqual(self.sts.count(), 3)

    def test_distinct_identities_call_in_parallel(self):
        self.sts.delay = 0.5
        uids = range(20100, 20120)
        results = {}

        def ask(uid):
            results[uid] = as_uid(uid, lambda: 0 if Client(self.socket).call(
                "GetCredentials", role="par")["issuer"] == "aws" else 1)

        start = time.monotonic()
        threads = [threading.Thread(target=ask, args=(u,)) for u in uids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        self.assertEqual(set(results.values()), {0})
        self.assertEqual(self.sts.count("AssumeRole"), len(uids))
        self.assertGreater(self.sts.max_concurrent, 1)
        self.assertLess(elapsed, 0.5 * len(uids) / 2)   # not in series


SOURCE_ARN_TEXT = "arn:aws:iam::111122223333:user/roled-agent"


class Sdks(AwsTestCase):
    """Debian's awscli v2 and boto3 with credential_process = rolectl ... get STS's credentials."""

    # claim_exe: the session names the program that asks (rolectl), as for exe rules.
    roles = {"10-s3.ini": role_ini("s3", ARN_S3, extra_role="claim_exe = yes\n",
                                   extra_aws="session_policy = none\n")}
    sts_roles = {ARN_S3: 3600}

    def sdk_env(self):
        home = os.path.join(self.tmp, "home")
        os.makedirs(os.path.join(home, ".aws"), exist_ok=True)
        config = os.path.join(home, ".aws", "config")
        with open(config, "w") as f:
            f.write(f"[profile roled]\nregion = us-east-1\n"
                    f"credential_process = {ROLECTL} credential-process --role s3\n")
        return {"PATH": "/usr/bin:/bin", "HOME": home, "AWS_CONFIG_FILE": config,
                "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, ".aws", "none"),
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": "", "LC_ALL": "C.UTF-8",
                "ROLED_SOCKET": self.socket, "AWS_CA_BUNDLE": self.ca.path}

    def test_awscli(self):
        if not os.access("/usr/bin/aws", os.X_OK):
            self.skipTest("no /usr/bin/aws")
        p = subprocess.run(["/usr/bin/aws", "--profile", "roled", "--endpoint-url", self.sts.url,
                            "sts", "get-caller-identity", "--output", "json"],
                           env=self.sdk_env(), capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        who = json.loads(p.stdout)
        self.assertEqual(who["Arn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/s3-reader/root@rolectl")
        self.assertEqual(self.sts.count("AssumeRole"), 1)

    def test_boto3(self):
        code = ("import boto3, json, sys\n"
                "s = boto3.Session(profile_name='roled')\n"
                f"c = s.client('sts', endpoint_url={self.sts.url!r})\n"
                "print(json.dumps(c.get_caller_identity()['Arn']))\n")
        p = subprocess.run(["/usr/bin/python3", "-I", "-c", code], env=self.sdk_env(),
                           capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(json.loads(p.stdout),
                         f"arn:aws:sts::{ACCOUNT}:assumed-role/s3-reader/root@rolectl")


MFA_SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/ops"


class Mfa(AwsTestCase):
    """mfa_serial: one mfa_process run and one GetSessionToken serve every caller."""

    roles = {f"1{i}-m{i}.ini": role_ini(f"m{i}", ARN_S3, extra_aws="session_policy = none\n")
             for i in range(5)}
    sts_roles = {ARN_S3: 3600}

    @classmethod
    def setUpClass(cls):
        # The class's temporary folder is made in super(); the script lives next to it.
        cls.script_dir = tempfile.mkdtemp(prefix="roled-mfa-")
        os.chmod(cls.script_dir, 0o755)
        cls.count_file = os.path.join(cls.script_dir, "runs")
        cls.code_file = os.path.join(cls.script_dir, "code")
        script = os.path.join(cls.script_dir, "mfa-code")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\necho run >> {cls.count_file}\nsleep 0.3\ncat {cls.code_file}\n")
        os.chmod(script, 0o755)
        with open(cls.code_file, "w") as f:
            f.write("123456\n")
        cls.aws_extra = f"mfa_serial = {MFA_SERIAL}\nmfa_process = {script}\n"
        super().setUpClass()
        cls.sts.mfa_serial = MFA_SERIAL
        cls.sts.mfa_code = "123456"

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.script_dir, ignore_errors=True)

    def runs(self):
        try:
            with open(self.count_file) as f:
                return len(f.read().splitlines())
        except FileNotFoundError:
            return 0

    def test_one_code_for_many_callers(self):
        clients = [Client(self.socket) for _ in range(5)]
        try:
            ids = [c.send("GetCredentials", role=f"m{i}") for i, c in enumerate(clients)]
            replies = [c.recv(i) for c, i in zip(clients, ids)]
        finally:
            for c in clients:
                c.close()
        self.assertEqual([err for err, _ in replies], [None] * 5)
        self.assertEqual(self.runs(), 1)
        self.assertEqual(self.sts.count("GetSessionToken"), 1)
        self.assertEqual(self.sts.count("AssumeRole"), 5)
        gst = [c for c in self.sts.calls if c["action"] == "GetSessionToken"][0]
        self.assertEqual(gst["params"]["SerialNumber"], MFA_SERIAL)
        self.assertEqual(gst["akid"], SOURCE_AKID)
        # Every AssumeRole was signed with the MFA session, not the long-term key.
        for c in self.sts.calls:
            if c["action"] == "AssumeRole":
                self.assertIn(c["akid"], self.sts.mfa_keys)
        # Later callers reuse the MFA session: no new prompt.
        self.revoke_all()
        self.client().call("GetCredentials", role="m0")
        self.assertEqual(self.runs(), 1)

    def test_wrong_code_is_refused(self):
        self.stop_agent()
        self.start_agent()            # a fresh agent: no MFA session cached
        before = self.runs()
        with open(self.code_file, "w") as f:
            f.write("654321\n")
        try:
            with self.assertRaises(RpcError) as e:
                self.client().call("GetCredentials", role="m1")
        finally:
            with open(self.code_file, "w") as f:
                f.write("123456\n")
        self.assertEqual(e.exception.code, "AccessDenied")
        self.assertIn("invalid MFA one time pass code", e.exception.message)
        self.assertEqual(self.runs(), before + 1)
        self.assertEqual(self.sts.count("AssumeRole"), 0)


class WrongCA(AwsTestCase):
    roles = {"10-s3.ini": role_ini("s3", ARN_S3, extra_aws="session_policy = none\n")}
    sts_roles = {ARN_S3: 3600}

    def test_certificate_from_another_ca_is_refused(self):
        from testca import make_ca

        other = make_ca(self.tmp, "other")
        self.stop_agent()
        self.write_ini(ca_file=other.path)
        self.start_agent()
        with self.assertRaises(RpcError) as e:
            self.client().call("GetCredentials", role="s3")
        self.assertEqual(e.exception.code, "UpstreamUnavailable")
        self.assertIn("certificate", e.exception.message.lower())
        self.assertEqual(self.sts.count(), 0)
        # The right CA again: served.
        self.stop_agent()
        self.write_ini()
        self.start_agent()
        self.assertEqual(self.client().call("GetCredentials", role="s3")["issuer"], "aws")


if __name__ == "__main__":
    main()
