# SPDX-License-Identifier: MIT
"""sdkenv.py - shared fixture of the SDK-compatibility tests (ctest label sdk).

Each test module runs under Debian's /usr/bin/python3 -I with ROLED_BIN and
ROLECTL_BIN naming the built binaries (CMake passes $<TARGET_FILE:...>).
AgentTestCase gives every test class:

  * a private temporary directory holding HOME, ~/.aws/config (AWS_CONFIG_FILE),
    an empty credentials file (AWS_SHARED_CREDENTIALS_FILE), the agent's config
    folder (roles.d/*.ini, 0600 in 0700 folders) and its key folder
    (XDG_STATE_HOME);
  * its own roled (--user --socket <tmp>/roled.sock --config <tmp>/cfg),
    stopped with SIGTERM at the end, whose exit status is checked;
  * os.environ scrubbed of every AWS_*, ROLED_*, XDG_*, PYTHON* and BOTO_*
    variable of the caller, then set to the private values above plus
    AWS_EC2_METADATA_DISABLED=true, so in-process boto3 and every child
    (rolectl, /usr/bin/aws) see only this test's world.

The roles (trusting this test's uid, whatever it runs as):
  main   max 2h, the caller's default role
  short  max 15m
  denied trusts only another uid
"""
import json
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

AWS = "/usr/bin/aws"
PYTHON = "/usr/bin/python3"
ROLED = os.environ.get("ROLED_BIN", "")
ROLECTL = os.environ.get("ROLECTL_BIN", "")
ACCOUNT = "000000000000"
REGION = "us-east-1"
SCRUB_PREFIXES = ("AWS_", "ROLED_", "XDG_", "PYTHON", "BOTO_")


def require_tools():
    """Exit 77 (ctest skip) when the Debian SDKs or the binaries are missing."""
    missing = [p for p in (AWS, PYTHON, ROLED, ROLECTL) if not p or not os.access(p, os.X_OK)]
    if missing:
        print(f"skipped: missing {missing}", file=sys.stderr)
        sys.exit(77)
    if not sys.executable.startswith("/usr/bin/python3"):
        print(f"run me with /usr/bin/python3, not {sys.executable}", file=sys.stderr)
        sys.exit(2)


def role_ini(name, max_duration="1h", trust_uid=None, default=False):
    uid = os.getuid() if trust_uid is None else trust_uid
    text = f"[role]\nname = {name}\nmax_session_duration = {max_duration}\nissuer = local\n"
    text += f"\n[trust]\nuids = {uid}\n"
    if default:
        text += f"\n[default]\nuids = {uid}\n"
    return text


DEFAULT_ROLES = {
    "10-main.ini": role_ini("main", "2h", default=True),
    "20-short.ini": role_ini("short", "15m"),
    "30-denied.ini": role_ini("denied", "1h", trust_uid=os.getuid() + 4242),
}


class Agent:
    """One roled on a private socket. roles=None: no config at all (embedded default)."""

    def __init__(self, root, roles):
        self.root = root
        self.socket = os.path.join(root, "run", "roled.sock")
        self.cfg = os.path.join(root, "cfg")
        self.state = os.path.join(root, "state")
        self.log_path = os.path.join(root, "roled.log")
        self.roles = roles
        self.proc = None

    def env(self):
        env = clean_environ()
        env["XDG_STATE_HOME"] = self.state
        env["XDG_CONFIG_HOME"] = os.path.join(self.root, "xdg-config")  # empty: embedded default
        env["HOME"] = os.path.join(self.root, "home")
        return env

    def start(self):
        for d in ("run", "state", "xdg-config"):
            os.makedirs(os.path.join(self.root, d), mode=0o700, exist_ok=True)
        argv = [ROLED, "--user", "--socket", self.socket]
        if self.roles is not None:
            os.makedirs(os.path.join(self.cfg, "roles.d"), mode=0o700)
            for name, text in self.roles.items():
                path = os.path.join(self.cfg, "roles.d", name)
                with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                    f.write(text)
            argv += ["--config", self.cfg]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, env=self.env(), stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent)
        # Readiness: the socket accepts a connection (or roled exited).
        for _ in range(500):
            if self.proc.poll() is not None:
                raise RuntimeError(f"roled exited with {self.proc.returncode}: {self.read_log()}")
            if os.path.exists(self.socket):
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    try:
                        s.connect(self.socket)
                        return self
                    except OSError:
                        pass
            time.sleep(0.01)
        raise RuntimeError(f"roled did not open {self.socket}: {self.read_log()}")

    def stop(self):
        """SIGTERM; return roled's exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        self.proc = None
        return rc

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def _die_with_parent():
    """In the child: SIGTERM when the test process dies (ctest timeout, kill)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def clean_environ():
    """The caller's environment without AWS_*, ROLED_*, XDG_*, PYTHON*, BOTO_*; PATH fixed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB_PREFIXES)}
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
    env["LC_ALL"] = "C.UTF-8"
    return env


class AgentTestCase(unittest.TestCase):
    """Starts a private roled and AWS config world for the class; see the module doc."""

    roles = DEFAULT_ROLES
    aws_profiles = {}  # profile name -> {key: value} written to ~/.aws/config

    @classmethod
    def setUpClass(cls):
        require_tools()
        cls.tmp = tempfile.mkdtemp(prefix="roled-sdk-")
        os.chmod(cls.tmp, 0o700)
        cls.home = os.path.join(cls.tmp, "home")
        os.makedirs(os.path.join(cls.home, ".aws"), mode=0o700)
        cls.aws_config = os.path.join(cls.home, ".aws", "config")
        cls.aws_credentials = os.path.join(cls.home, ".aws", "credentials")
        with open(cls.aws_config, "w") as f:
            f.write(f"[default]\nregion = {REGION}\n")
            for name, settings in cls.aws_profiles.items():
                f.write(f"\n[profile {name}]\nregion = {REGION}\n")
                for k, v in settings.items():
                    f.write(f"{k} = {v}\n")
        open(cls.aws_credentials, "w").close()
        cls.agent = Agent(cls.tmp, cls.roles)
        env = clean_environ()
        env.update({
            "HOME": cls.home,
            "AWS_CONFIG_FILE": cls.aws_config,
            "AWS_SHARED_CREDENTIALS_FILE": cls.aws_credentials,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PAGER": "",
            "ROLED_SOCKET": cls.agent.socket,
        })
        cls._saved_environ = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            cls.agent.start()
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def _cleanup(cls):
        os.environ.clear()
        os.environ.update(cls._saved_environ)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        rc = cls.agent.stop()
        log = cls.agent.read_log()
        cls._cleanup()
        if rc != 0:
            raise AssertionError(f"roled exited with {rc}:\n{log}")

    # -- helpers ------------------------------------------------------------------

    def run_cmd(self, argv, env=None, check=True, input=None):
        p = subprocess.run(argv, env=env if env is not None else dict(os.environ),
                           stdin=subprocess.DEVNULL if input is None else None, input=input,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        if check and p.returncode != 0:
            self.fail(f"{argv} exited {p.returncode}\nstdout: {out}\nstderr: {err}")
        return p.returncode, out, err

    def rolectl(self, *args, check=True):
        return self.run_cmd([ROLECTL, *args], check=check)

    def credential_process(self, *args):
        """rolectl credential-process ARGS, parsed."""
        _, out, _ = self.rolectl("credential-process", *args)
        return json.loads(out)

    def token_claims(self, token):
        _, out, _ = self.run_cmd([ROLECTL, "verify-token", "--json"],
                                 env=dict(os.environ, AWS_SESSION_TOKEN=token))
        return json.loads(out)

    def aws(self, *args, env=None, check=True):
        return self.run_cmd([AWS, *args], env=env, check=check)


def sdk_versions():
    """The SDKs under test: Debian's boto3/botocore, awscli and the botocore awscli vendors."""
    import re

    import boto3
    import botocore

    def version_in(path):
        with open(path) as f:
            m = re.search(r"^__version__ = '([^']+)'", f.read(), re.M)
        return m.group(1) if m else "?"

    cli = "/usr/lib/python3/dist-packages/awscli"
    return (f"python {sys.version.split()[0]}, boto3 {boto3.__version__}, "
            f"botocore {botocore.__version__} ({os.path.dirname(botocore.__file__)}), "
            f"awscli {version_in(cli + '/__init__.py')} "
            f"(vendored botocore {version_in(cli + '/botocore/__init__.py')})")


def main():
    require_tools()
    import botocore

    if not botocore.__file__.startswith("/usr/lib/python3/dist-packages/botocore/"):
        print(f"not Debian's python3-botocore: {botocore.__file__}", file=sys.stderr)
        sys.exit(2)
    print(f"SDKs: {sdk_versions()}", file=sys.stderr)
    unittest.main(verbosity=2)
