# SPDX-License-Identifier: MIT
"""awsenv.py - fixture of the aws issuer tests (ctest label aws).

AwsTestCase starts, per test class:

  * a CA (testca.py) and an UpstreamSTS (upstream_sts.py) on loopback HTTPS
    with a certificate that CA signed; the agent's source key (AKIA...) is
    registered with it;
  * a system-mode roled (run as root) on a private socket whose roled.ini
    [aws] names a 0600 credentials file, region, the fake's https endpoint
    and ca_file, and whose roles.d holds the class's roles.

Requests go over the socket with a small MessagePack-RPC client (python3-msgpack),
so tests can open many connections and pipeline.  Runs under Debian's
/usr/bin/python3 with python3-botocore, python3-cryptography and
python3-msgpack; exits 77 (skip) without them or without root.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "util"))

ROLED = os.environ.get("ROLED_BIN", "")
ROLECTL = os.environ.get("ROLECTL_BIN", "")
SOURCE_AKID = "AKIAROLEDTESTSOURCE1"
SOURCE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYTESTSOURCE"
SOURCE_ARN = "arn:aws:iam::111122223333:user/roled-agent"
ACCOUNT = "111122223333"


def require():
    try:
        import botocore  # noqa: F401
        import cryptography  # noqa: F401
        import msgpack  # noqa: F401
    except ImportError as e:
        print(f"skipped: {e}", file=sys.stderr)
        sys.exit(77)
    if os.geteuid() != 0:
        print("skipped: needs root (system-mode agent, callers of other uids)", file=sys.stderr)
        sys.exit(77)
    for p in (ROLED, ROLECTL):
        if not p or not os.access(p, os.X_OK):
            print(f"skipped: missing {p!r}", file=sys.stderr)
            sys.exit(77)


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class Client:
    """A MessagePack-RPC connection to the agent."""

    def __init__(self, path):
        import msgpack

        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.unpacker = msgpack.Unpacker(raw=False)
        self.packb = msgpack.packb
        self.next_id = 1
        self.replies = {}

    def close(self):
        self.sock.close()

    def send(self, method, **params):
        msgid = self.next_id
        self.next_id += 1
        self.sock.sendall(self.packb([0, msgid, method, [params]]))
        return msgid

    def recv(self, msgid):
        """The reply to msgid: (error or None, result); replies to others are kept."""
        while msgid not in self.replies:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("agent closed the connection")
            self.unpacker.feed(data)
            for msg in self.unpacker:
                # Notifications ([2, method, params], e.g. SessionsRevoked) answer nothing.
                if msg[0] == 2:
                    continue
                self.replies[msg[1]] = (msg[2], msg[3])
        return self.replies.pop(msgid)

    def call(self, method, **params):
        err, result = self.recv(self.send(method, **params))
        if err:
            raise RpcError(err["code"], err["message"])
        return result


def role_ini(name, arn, permissions=None, extra_role="", extra_aws="", trust="uids = 0-65535"):
    text = (f"[role]\nname = {name}\nissuer = aws\nmax_session_duration = 12h\n{extra_role}"
            + (f"permissions = ../{permissions}\n" if permissions else "")
            + f"\n[trust]\n{trust}\n\n[aws]\nrole_arn = {arn}\n{extra_aws}")
    return text


class AwsTestCase(unittest.TestCase):
    roles = {}            # file name -> text (roles.d)
    policies = {}         # file name -> text (next to roles.d)
    aws_extra = ""        # more [aws] lines for roled.ini
    use_imds = False      # [aws] imds = on instead of credentials_file
    agent_env = {}        # more environment for the agent
    sts_roles = {}        # role ARN -> max duration

    @classmethod
    def setUpClass(cls):
        require()
        from testca import make_ca
        from upstream_sts import UpstreamSTS

        cls.tmp = tempfile.mkdtemp(prefix="roled-aws-")
        os.chmod(cls.tmp, 0o755)
        cls.ca = make_ca(cls.tmp, "good")
        cert, key = cls.ca.issue(cls.tmp, "sts")
        cls.sts = UpstreamSTS(cert, key).start()
        cls.sts.register(SOURCE_AKID, SOURCE_SECRET, None, SOURCE_ARN, "AIDAROLEDTESTSOURCE", ACCOUNT)
        for arn, max_duration in cls.sts_roles.items():
            cls.sts.add_role(arn, max_duration)
        cls.cfg = os.path.join(cls.tmp, "cfg")
        os.makedirs(os.path.join(cls.cfg, "roles.d"), mode=0o755)
        cls.creds_file = os.path.join(cls.cfg, "aws-credentials")
        cls.write(cls.creds_file, f"[default]\naws_access_key_id = {SOURCE_AKID}\n"
                                  f"aws_secret_access_key = {SOURCE_SECRET}\n", 0o600)
        for name, text in cls.policies.items():
            cls.write(os.path.join(cls.cfg, name), text, 0o644)
        for name, text in cls.roles.items():
            cls.write(os.path.join(cls.cfg, "roles.d", name), text, 0o644)
        cls.write_ini()
        cls.socket = os.path.join(cls.tmp, "run", "roled.sock")
        os.makedirs(os.path.dirname(cls.socket), mode=0o755)
        cls.log_path = os.path.join(cls.tmp, "roled.log")
        cls.proc = None
        try:
            cls.start_agent()
        except BaseException:
            cls.sts.stop()
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def write(cls, path, text, mode):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    @classmethod
    def write_ini(cls, endpoint=None, ca_file=None):
        cls.write(os.path.join(cls.cfg, "roled.ini"),
                  f"[agent]\nkey_dir = {cls.tmp}/keys\nlog_level = debug\nmax_connections_per_uid = 4000\n\n[aws]\n"
                  + ("imds = on\n" if cls.use_imds else f"credentials_file = {cls.creds_file}\n")
                  + "region = us-east-1\n"
                  f"sts_endpoint = {endpoint or cls.sts.url}\n"
                  f"ca_file = {ca_file or cls.ca.path}\n{cls.aws_extra}", 0o644)

    @classmethod
    def start_agent(cls):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8", **cls.agent_env}
        cls.log = open(cls.log_path, "ab")
        cls.proc = subprocess.Popen([ROLED, "--config", cls.cfg, "--socket", cls.socket],
                                    env=env, stdin=subprocess.DEVNULL, stdout=cls.log,
                                    stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        for _ in range(1000):
            if cls.proc.poll() is not None:
                raise RuntimeError(f"roled exited with {cls.proc.returncode}: {cls.read_log()}")
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(cls.socket)
                    return
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"roled did not listen: {cls.read_log()}")

    @classmethod
    def stop_agent(cls):
        rc = None
        if cls.proc is not None:
            cls.proc.send_signal(signal.SIGTERM)
            try:
                rc = cls.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                rc = cls.proc.wait()
            cls.proc = None
            cls.log.close()
        return rc

    @classmethod
    def read_log(cls):
        with open(cls.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    @classmethod
    def tearDownClass(cls):
        rc = cls.stop_agent()
        log = cls.read_log()
        cls.sts.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if rc != 0:
            raise AssertionError(f"roled exited with {rc}:\n{log}")

    def setUp(self):
        self.sts.reset()

    def client(self):
        c = Client(self.socket)
        self.addCleanup(c.close)
        return c

    def rolectl(self, *args, env=None, check=True):
        p = subprocess.run([ROLECTL, *args], env=env or dict(os.environ, ROLED_SOCKET=self.socket),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        out, err = p.stdout.decode(), p.stderr.decode()
        if check and p.returncode != 0:
            self.fail(f"rolectl {args} exited {p.returncode}: {err}")
        return p.returncode, out, err

    def revoke_all(self):
        self.client().call("Revoke", uid=0)


def _die_with_parent():
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)


def as_uid(uid, fn):
    """Run fn() in a child with uid and gid @uid (no groups); return its exit status."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            code = fn()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def main():
    require()
    unittest.main(verbosity=2)
