# SPDX-License-Identifier: MIT
"""test_mfa.py - rolectl mfa CODE: MFA codes handed to the aws issuer (label aws).

roled.ini names [aws] mfa_serial and no mfa_process, so a request that needs
the MFA session waits for a code sent with the Mfa method.  The fake STS
(upstream_sts.py) checks every signature with botocore's signer and takes
GetSessionToken only with the right SerialNumber and TokenCode.  The tests
prove that the code reaches STS as TokenCode with the configured
SerialNumber, that the MFA session then signs the AssumeRole calls, that a
user with no waiting request is refused without the code reaching STS, that
a wrong code is refused with STS's error while the waiting request keeps
waiting, and that root may send a code with nothing waiting.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsenv import (ACCOUNT, ROLECTL, SOURCE_AKID, AwsTestCase, Client, RpcError,  # noqa: E402
                    main, role_ini)

ARN = f"arn:aws:iam::{ACCOUNT}:role/s3-reader"
MFA_SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/ops"
CODE = "246810"
WAITER, OTHER = 20501, 20502


def drop_to(uid):
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


class MfaCode(AwsTestCase):
    roles = {f"1{i}-m{i}.ini": role_ini(f"m{i}", ARN, extra_aws="session_policy = none\n")
             for i in range(3)}
    sts_roles = {ARN: 3600}
    aws_extra = f"mfa_serial = {MFA_SERIAL}\n"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sts.mfa_serial = MFA_SERIAL
        cls.sts.mfa_code = CODE

    def setUp(self):
        super().setUp()
        # A fresh agent for each test: no MFA session cached.
        self.stop_agent()
        self.start_agent()
        self.log_mark = len(self.sts.log)

    def rolectl_as(self, uid, *args, stdin=None):
        p = subprocess.run([ROLECTL, *args], env={"PATH": "/usr/bin:/bin", "ROLED_SOCKET": self.socket},
                           input=(stdin or "").encode(), capture_output=True, timeout=60,
                           preexec_fn=(lambda: drop_to(uid)) if uid else None)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def waiting_request(self, uid, role):
        """A child of @uid whose GetCredentials waits in the agent; returns (pid, result pipe)."""
        ready_r, ready_w = os.pipe()
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(ready_r)
                os.close(out_r)
                drop_to(uid)
                c = Client(self.socket)
                msgid = c.send("GetCredentials", role=role)
                # Requests on one connection are dispatched in order: once this is
                # answered, the agent has the GetCredentials and it waits.
                err, _ = c.recv(c.send("GetCallerIdentity"))
                os.write(ready_w, b"r" if err is None and msgid not in c.replies else b"x")
                err, cr = c.recv(msgid)
                os.write(out_w, json.dumps({"err": err, "cr": cr}).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(ready_w)
        os.close(out_w)
        self.assertEqual(os.read(ready_r, 1), b"r")
        os.close(ready_r)
        return pid, out_r

    def collect(self, pid, out_r):
        data = b""
        while chunk := os.read(out_r, 65536):
            data += chunk
        os.close(out_r)
        os.waitpid(pid, 0)
        return json.loads(data)

    def aws_status(self):
        return [u for u in self.client().call("Status")["issuers"] if u["issuer"] == "aws"][0]

    def gst_attempts(self):
        return [(akid, outcome) for akid, outcome in self.sts.log[self.log_mark:] if akid == SOURCE_AKID]

    def test_waiting_users_code_reaches_sts_and_releases_the_request(self):
        pid, out_r = self.waiting_request(WAITER, "m0")
        try:
            # Status and explain tell the operator a code is wanted.
            aws = self.aws_status()
            self.assertEqual((aws["source"], aws["mfaExpires"], aws["mfaWaiting"]), ("credentials_file", 0, 1))
            _, out, _ = self.rolectl("explain", "m0")
            self.assertIn("mfa          no session; 1 request(s) wait for a code (rolectl mfa CODE)\n", out)
            # A user with no waiting request is refused; the code never reaches STS.
            with self.assertRaises(RpcError) as e:
                Client_as(OTHER, self.socket, "Mfa", code=CODE)
            self.assertEqual(e.exception.code, "AccessDenied")
            self.assertIn(f"no request of uid {OTHER} waits", e.exception.message)
            self.assertEqual(self.gst_attempts(), [])
            rc, out, err = self.rolectl_as(OTHER, "mfa", CODE)
            self.assertEqual(rc, 1, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertIn("AccessDenied", err)
            self.assertEqual(self.gst_attempts(), [])
            # The waiting user's wrong code: STS's error, printed on one line; still waiting.
            rc, out, err = self.rolectl_as(WAITER, "mfa", "000000")
            self.assertEqual(rc, 1, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertIn("AccessDenied: ", err)
            self.assertIn("invalid MFA one time pass code", err)
            self.assertNotIn("000000", err)
            self.assertEqual(self.gst_attempts(), [(SOURCE_AKID, "AccessDenied")])
            self.assertEqual(self.sts.count("AssumeRole"), 0)
            # Its right code, on standard input: accepted, and the request goes on.
            rc, out, err = self.rolectl_as(WAITER, "mfa", stdin=CODE + "\n")
            self.assertEqual(rc, 0, err)
            self.assertRegex(out, r"^MFA session until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; "
                                  r"1 waiting request went on\n$")
        finally:
            result = self.collect(pid, out_r)
        self.assertIsNone(result["err"], result)
        self.assertEqual(result["cr"]["issuer"], "aws")
        aws = self.aws_status()
        self.assertEqual(aws["mfaWaiting"], 0)
        self.assertAlmostEqual(aws["mfaExpires"], time.time() + 43200, delta=60)
        _, out, _ = self.rolectl("explain", "m0")
        self.assertRegex(out, r"mfa          session until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; 0 request\(s\) wait for a code\n")
        gst = [c for c in self.sts.calls if c["action"] == "GetSessionToken"]
        self.assertEqual(len(gst), 1)
        self.assertEqual(gst[0]["akid"], SOURCE_AKID)           # signed with the source key
        self.assertEqual(gst[0]["params"]["SerialNumber"], MFA_SERIAL)
        self.assertEqual(gst[0]["params"]["TokenCode"], CODE)
        ar = [c for c in self.sts.calls if c["action"] == "AssumeRole"]
        self.assertEqual(len(ar), 1)
        self.assertIn(ar[0]["akid"], self.sts.mfa_keys)         # signed with the MFA session
        self.assertEqual(ar[0]["params"]["SourceIdentity"], str(WAITER))
        # Another user now goes straight through with the cached MFA session.
        cr = Client_as(OTHER, self.socket, "GetCredentials", role="m1")
        self.assertEqual(cr["issuer"], "aws")
        self.assertEqual(self.sts.count("GetSessionToken"), 1)
        self.assertIn(self.sts.calls[-1]["akid"], self.sts.mfa_keys)
        # The code never reaches the agent's log.
        self.assertNotIn(CODE, self.read_log())

    def test_root_sends_a_code_with_nothing_waiting(self):
        for bad in ("12345", "1234567", "abcdef"):
            rc, _, err = self.rolectl_as(0, "mfa", bad)
            self.assertEqual(rc, 2, err)
            self.assertIn("six digits", err)
        with self.assertRaises(RpcError) as e:
            self.client().call("Mfa", code="12a456")
        self.assertEqual(e.exception.code, "InvalidParameterValue")
        self.assertEqual(self.sts.count(), 0)
        rc, out, err = self.rolectl_as(0, "mfa", "--json", CODE)
        self.assertEqual(rc, 0, err)
        answer = json.loads(out)
        self.assertEqual(answer["released"], 0)
        self.assertAlmostEqual(answer["expiration"], time.time() + 43200, delta=60)
        self.assertEqual(self.sts.count("GetSessionToken"), 1)
        self.assertEqual(self.sts.calls[0]["params"]["TokenCode"], CODE)
        # Every caller's AssumeRole is signed with it; no second code is asked for.
        self.client().call("GetCredentials", role="m2")
        Client_as(OTHER, self.socket, "GetCredentials", role="m2")
        ar = [c for c in self.sts.calls if c["action"] == "AssumeRole"]
        self.assertEqual(len(ar), 2)
        self.assertTrue(all(c["akid"] in self.sts.mfa_keys for c in ar))
        self.assertEqual(self.sts.count("GetSessionToken"), 1)


    def test_wrong_codes_from_users_are_limited(self):
        pid, out_r = self.waiting_request(WAITER, "m0")
        try:
            for n in range(5):
                with self.assertRaises(RpcError) as e:
                    Client_as(WAITER, self.socket, "Mfa", code=f"00000{n}")
                self.assertEqual(e.exception.code, "AccessDenied")
                self.assertIn("invalid MFA one time pass code", e.exception.message)
            self.assertEqual(len(self.gst_attempts()), 5)
            # The sixth, even the right one, is refused without asking STS: no guessing at STS's pace.
            with self.assertRaises(RpcError) as e:
                Client_as(WAITER, self.socket, "Mfa", code=CODE)
            self.assertEqual(e.exception.code, "Throttling")
            self.assertIn("5 wrong MFA codes", e.exception.message)
            self.assertEqual(len(self.gst_attempts()), 5)
            # Root is not limited: its code releases the waiting request.
            rc, out, err = self.rolectl_as(0, "mfa", CODE)
            self.assertEqual(rc, 0, err)
            self.assertIn("1 waiting request went on", out)
        finally:
            result = self.collect(pid, out_r)
        self.assertIsNone(result["err"], result)
        self.assertEqual(self.sts.count("GetSessionToken"), 1)

    def test_slow_sts_is_waited_for(self):
        # Beyond libroled's default 5 s: rolectl mfa waits as long as the agent's STS call may take.
        self.sts.delay = 6
        rc, out, err = self.rolectl_as(0, "mfa", CODE)
        self.assertEqual(rc, 0, err)
        self.assertIn("MFA session until", out)
        self.assertEqual(self.sts.count("GetSessionToken"), 1)


class NoMfa(AwsTestCase):
    roles = {"10-s3.ini": role_ini("s3", ARN, extra_aws="session_policy = none\n")}
    sts_roles = {ARN: 3600}

    def test_agent_without_mfa_serial(self):
        with self.assertRaises(RpcError) as e:
            self.client().call("Mfa", code=CODE)
        self.assertEqual(e.exception.code, "NoSuchEntity")
        self.assertIn("mfa_serial", e.exception.message)
        self.assertEqual(self.sts.count(), 0)


def Client_as(uid, socket_path, method, **params):
    """One call as @uid in a forked child; its result, or RpcError raised here."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(r)
            drop_to(uid)
            c = Client(socket_path)
            try:
                out = {"result": c.call(method, **params)}
            except RpcError as e:
                out = {"code": e.code, "message": e.message}
            c.close()
            os.write(w, json.dumps(out).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    out = json.loads(data)
    if "code" in out:
        raise RpcError(out["code"], out["message"])
    return out["result"]


if __name__ == "__main__":
    main()
