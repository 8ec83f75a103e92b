# SPDX-License-Identifier: MIT
"""test_parallel.py - many distinct identities at once: STS calls run in
parallel, up to the agent's bound, and nobody waits on the loop (label aws).

140 processes of distinct uids, each connected and attested first, ask for
one aws role at the same moment.  The fake STS (upstream_sts.py, signatures
checked with botocore) holds every answer behind a gate, so what it sees
while the gate is shut is exactly how many calls the agent runs at once:
all of the first 128 (HTTP_CONNECTIONS_MAX in agent/http.h) are in progress
together, and the other 12 wait in the agent, not at STS.  Meanwhile another
caller's requests (GetCallerIdentity, local credentials, Status) are
answered: the loop is not blocked.  Then the gate opens and all 140 get
their own credentials.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsenv import ACCOUNT, AwsTestCase, Client, main, role_ini  # noqa: E402

ARN = f"arn:aws:iam::{ACCOUNT}:role/par"
N_IDENTITIES = 140
BOUND = 128          # agent/http.h HTTP_CONNECTIONS_MAX
FIRST_UID = 30200


class Parallel(AwsTestCase):
    roles = {
        "10-par.ini": role_ini("par", ARN, extra_aws="session_policy = none\n"),
        "20-loc.ini": "[role]\nname = loc\n\n[trust]\nuids = 0-65535\n",
    }
    sts_roles = {ARN: 3600}

    def wait_for(self, cond, what, timeout=60):
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            time.sleep(0.01)

    def test_distinct_identities_in_parallel_up_to_the_bound(self):
        self.sts.gate = threading.Event()
        go_r, go_w = os.pipe()
        ready_r, ready_w = os.pipe()
        done_r, done_w = os.pipe()
        pids = []
        try:
            for k in range(N_IDENTITIES):
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        os.close(go_w)
                        uid = FIRST_UID + k
                        os.setgroups([])
                        os.setresgid(uid, uid, uid)
                        os.setresuid(uid, uid, uid)
                        c = Client(self.socket)
                        c.call("GetCallerIdentity")
                        os.write(ready_w, b"r")
                        os.read(go_r, 1)
                        err, cr = c.recv(c.send("GetCredentials", role="par"))
                        ok = err is None and cr["issuer"] == "aws"
                        os.write(done_w, (cr["accessKeyId"] + "\n").encode() if ok else b"x\n")
                        code = 0
                    finally:
                        os._exit(code)
                pids.append(pid)
            for _ in range(N_IDENTITIES):
                self.assertEqual(os.read(ready_r, 1), b"r")
            os.write(go_w, b"g" * N_IDENTITIES)
            # The first BOUND calls reach STS and are all in progress at once.
            self.wait_for(lambda: self.sts.in_flight >= BOUND, f"{BOUND} calls in progress at STS")
            # The bound holds: nothing more arrives while those are held.
            time.sleep(0.5)
            self.assertEqual(self.sts.in_flight, BOUND)
            self.assertEqual(len(self.sts.arrivals), BOUND)
            # The agent still serves everyone else at once.
            c = self.client()
            self.assertEqual(c.call("GetCallerIdentity")["uid"], 0)
            self.assertEqual(c.call("GetCredentials", role="loc")["issuer"], "local")
            status = c.call("Status")
            aws = [u for u in status["issuers"] if u["issuer"] == "aws"][0]
            self.assertGreaterEqual(aws["calls"], BOUND)
            self.assertEqual(self.sts.in_flight, BOUND)      # still all held meanwhile
            self.sts.gate.set()
            results = b""
            while results.count(b"\n") < N_IDENTITIES:
                chunk = os.read(done_r, 65536)
                self.assertTrue(chunk, "a child died")
                results += chunk
        finally:
            if self.sts.gate is not None:
                self.sts.gate.set()
            for pid in pids:
                os.waitpid(pid, 0)
            for fd in (go_r, go_w, ready_r, ready_w, done_r, done_w):
                os.close(fd)
        keys = results.decode().split()
        self.assertNotIn("x", keys)
        self.assertEqual(len(set(keys)), N_IDENTITIES)       # one session per identity
        self.assertEqual(self.sts.count("AssumeRole"), N_IDENTITIES)
        self.assertEqual(self.sts.max_concurrent, BOUND)


if __name__ == "__main__":
    main()
