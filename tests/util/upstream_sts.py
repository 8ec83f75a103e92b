# SPDX-License-Identifier: MIT
"""upstream_sts.py - a fake AWS STS for the agent's aws issuer, on loopback HTTPS.

UpstreamSTS extends FakeSTS (fake_sts.py: every request's SigV4 signature is
recomputed with botocore's signer and must match) with:

  * TLS: start() serves https://127.0.0.1:<ephemeral port>/ with a
    certificate the test made (testca.py);
  * AssumeRole for the roles the test registered (add_role): checks RoleArn,
    RoleSessionName, DurationSeconds (the role's maximum; 3600 for role
    chaining, i.e. when the request is signed with AssumeRole credentials, with
    STS's own ValidationError messages), ExternalId; mints ASIA... credentials
    and registers them, so chained calls signed with them verify too;
  * GetSessionToken with SerialNumber/TokenCode (MFA) when mfa_code is set;
  * STS's XML answers and ErrorResponse envelopes (aws-compat.md 3.3, 3.4);
  * faults: errors queued with fail_next(), mode "throttle" (400 Throttling),
    "down" (connection closed without an answer), a delay per answer
    (slow upstream), a gate that holds every answer until the test opens it,
    and a lifetime override for the credentials it issues.

Every accepted call is recorded in calls (dict of action, params, akid and
time); arrivals holds when each request had been read (before the delay);
max_concurrent is the most requests it was answering at once.
"""
import datetime
import secrets
import socket
import ssl
import string
import threading
import time
import urllib.parse
import uuid
import http.server
from xml.sax.saxutils import escape

from fake_sts import NS, FakeSTS, StsError

ALPHA32 = string.ascii_uppercase + "234567"


def _iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


class UpstreamSTS(FakeSTS):
    def __init__(self, certfile, keyfile, region="us-east-1"):
        super().__init__(region)
        self.certfile, self.keyfile = certfile, keyfile
        self.roles = {}
        self.calls = []
        self.errors = []
        self.mode = "ok"
        self.delay = 0.0
        self.lifetime = None
        self.mfa_serial = None
        self.mfa_code = None
        self.in_flight = 0
        self.arrivals = []        # when each request had been read, before any delay
        self.max_concurrent = 0
        self.gate = None          # a threading.Event: every answer waits until it is set
        self.chained = set()      # akids minted by AssumeRole (role sessions)
        self.mfa_keys = set()     # akids minted by GetSessionToken with MFA

    def add_role(self, arn, max_duration=3600, external_id=None):
        with self._lock:
            self.roles[arn] = dict(max_duration=max_duration, external_id=external_id)

    def fail_next(self, status, code, message, count=1):
        with self._lock:
            self.errors.extend([(status, code, message)] * count)

    def reset(self):
        with self._lock:
            self.calls.clear()
            self.arrivals.clear()
            self.errors.clear()
            self.mode, self.delay, self.lifetime = "ok", 0.0, None
            self.max_concurrent = 0
            self.gate = None

    def count(self, action=None):
        with self._lock:
            return sum(1 for c in self.calls if action is None or c["action"] == action)

    @property
    def url(self):
        return f"https://127.0.0.1:{self._server.server_address[1]}/"

    def start(self):
        sts = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def setup(self):
                # The TLS handshake runs here, in the connection's own thread, so
                # parallel clients are not serialised behind the accepting thread.
                self.request.do_handshake()
                super().setup()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with sts._lock:
                    sts.arrivals.append(time.time())
                    sts.in_flight += 1
                    sts.max_concurrent = max(sts.max_concurrent, sts.in_flight)
                    mode, delay, gate = sts.mode, sts.delay, sts.gate
                try:
                    if gate is not None:
                        gate.wait(60)
                    if delay:
                        time.sleep(delay)
                    if mode == "down":
                        # A dropped connection: no status line at all.
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    status, payload = sts.handle(self.command, self.path,
                                                 list(self.headers.items()), body)
                    data = payload.encode("utf-8")
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    with sts._lock:
                        sts.in_flight -= 1

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024

            def handle_error(self, request, client_address):
                pass  # e.g. a client that refuses our certificate: the test checks the client side

        self._server = Server(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certfile, self.keyfile)
        self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True,
                                              do_handshake_on_connect=False)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    # -- STS ---------------------------------------------------------------------

    def handle(self, method, target, headers, body):
        seen = {}
        try:
            with self._lock:
                injected = self.errors.pop(0) if self.errors else None
                mode = self.mode
            akid, entry = self._authenticate(method, target, headers, body, seen)
            params = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            action = params.get("Action")
            if params.get("Version") != "2011-06-15":
                raise StsError(400, "InvalidAction", "Version must be 2011-06-15")
            if mode == "throttle":
                raise StsError(400, "Throttling", "Rate exceeded")
            if injected:
                raise StsError(*injected)
            if action == "AssumeRole":
                xml = self._assume_role(akid, params)
            elif action == "GetSessionToken":
                xml = self._get_session_token(akid, params)
            elif action == "GetCallerIdentity":
                return super().handle(method, target, headers, body)
            else:
                raise StsError(400, "InvalidAction", f"Could not find operation {action}")
            with self._lock:
                self.calls.append(dict(action=action, params=params, akid=akid, time=time.time()))
            self._record(akid, "OK")
            return 200, xml
        except StsError as e:
            self._record(seen.get("akid"), e.code)
            return e.status, (f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type>'
                              f"<Code>{escape(e.code)}</Code><Message>{escape(e.message)}</Message>"
                              f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>\n")

    def _mint(self, arn, user_id, account, duration):
        akid = "ASIA" + "".join(secrets.choice(ALPHA32) for _ in range(16))
        secret = secrets.token_urlsafe(30)[:40]
        token = secrets.token_urlsafe(300)
        self.register(akid, secret, token, arn, user_id, account)
        expires = time.time() + (self.lifetime if self.lifetime is not None else duration)
        return akid, secret, token, expires

    def _assume_role(self, caller, p):
        arn = p.get("RoleArn", "")
        role = self.roles.get(arn)
        if role is None:
            raise StsError(403, "AccessDenied",
                           f"User: {caller} is not authorized to perform: sts:AssumeRole on "
                           f"resource: {arn}")
        name = p.get("RoleSessionName", "")
        if not (2 <= len(name) <= 64) or any(not (c.isalnum() or c in "_+=,.@-") for c in name):
            raise StsError(400, "ValidationError", f"RoleSessionName {name!r} is invalid")
        duration = int(p.get("DurationSeconds", "3600"))
        with self._lock:
            is_chained = caller in self.chained
            needs_mfa = self.mfa_serial is not None and not is_chained and caller not in self.mfa_keys
        if needs_mfa:
            raise StsError(403, "AccessDenied", "MultiFactorAuthentication required")
        if is_chained and duration > 3600:
            raise StsError(400, "ValidationError",
                           "The requested DurationSeconds exceeds the 1 hour session limit for "
                           "roles assumed by role chaining.")
        if duration > role["max_duration"]:
            raise StsError(400, "ValidationError",
                           "The requested DurationSeconds exceeds the MaxSessionDuration set for "
                           "this role.")
        if role["external_id"] is not None and p.get("ExternalId") != role["external_id"]:
            raise StsError(403, "AccessDenied", "ExternalId does not match")
        account = arn.split(":")[4]
        role_name = arn.rsplit("/", 1)[1]
        role_id = "AROA" + "".join(secrets.choice(ALPHA32) for _ in range(17))
        session_arn = f"arn:aws:sts::{account}:assumed-role/{role_name}/{name}"
        akid, secret, token, expires = self._mint(session_arn, f"{role_id}:{name}", account,
                                                  duration)
        with self._lock:
            self.chained.add(akid)
        source = p.get("SourceIdentity")
        return (f'<AssumeRoleResponse xmlns="{NS}">\n  <AssumeRoleResult>\n'
                + (f"    <SourceIdentity>{escape(source)}</SourceIdentity>\n" if source else "")
                + f"    <AssumedRoleUser>\n      <Arn>{escape(session_arn)}</Arn>\n"
                f"      <AssumedRoleId>{role_id}:{escape(name)}</AssumedRoleId>\n"
                "    </AssumedRoleUser>\n    <Credentials>\n"
                f"      <AccessKeyId>{akid}</AccessKeyId>\n"
                f"      <SecretAccessKey>{escape(secret)}</SecretAccessKey>\n"
                f"      <SessionToken>{escape(token)}</SessionToken>\n"
                f"      <Expiration>{_iso(expires)}</Expiration>\n"
                "    </Credentials>\n    <PackedPolicySize>6</PackedPolicySize>\n"
                f"  </AssumeRoleResult>\n  <ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
                "</ResponseMetadata>\n</AssumeRoleResponse>\n")

    def _get_session_token(self, caller, p):
        if caller in self.chained:
            raise StsError(403, "AccessDenied",
                           "Cannot call GetSessionToken with session credentials")
        if self.mfa_serial is not None:
            if p.get("SerialNumber") != self.mfa_serial or p.get("TokenCode") != self.mfa_code:
                raise StsError(403, "AccessDenied", "MultiFactorAuthentication failed with "
                                                    "invalid MFA one time pass code.")
        entry = self.keys[caller]
        duration = int(p.get("DurationSeconds", "43200"))
        akid, secret, token, expires = self._mint(entry["arn"], entry["user_id"],
                                                  entry["account"], duration)
        with self._lock:
            self.mfa_keys.add(akid)
        return (f'<GetSessionTokenResponse xmlns="{NS}">\n  <GetSessionTokenResult>\n'
                "    <Credentials>\n"
                f"      <AccessKeyId>{akid}</AccessKeyId>\n"
                f"      <SecretAccessKey>{escape(secret)}</SecretAccessKey>\n"
                f"      <SessionToken>{escape(token)}</SessionToken>\n"
                f"      <Expiration>{_iso(expires)}</Expiration>\n"
                "    </Credentials>\n  </GetSessionTokenResult>\n"
                f"  <ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>\n"
                "</GetSessionTokenResponse>\n")
