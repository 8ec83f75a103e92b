# SPDX-License-Identifier: MIT
"""fake_sts.py - a loopback AWS STS that really checks SigV4 signatures.

FakeSTS serves http://127.0.0.1:<ephemeral port>/ from a thread. For every
request it:

  1. parses the Authorization header (AWS4-HMAC-SHA256 Credential=AKID/DATE/
     REGION/SERVICE/aws4_request, SignedHeaders=..., Signature=...);
  2. looks AKID up among the keys the test registered (the credentials roled
     issued) - unknown: 403 InvalidClientTokenId;
  3. requires host, x-amz-date and x-amz-security-token among the signed
     headers, the X-Amz-Security-Token header to equal the registered session
     token (aws-compat.md 4.2), service "sts", the expected region, and an
     X-Amz-Date within 15 minutes of now;
  4. recomputes the signature with botocore's own SigV4Auth from the received
     method, path, query, signed headers and body, using the registered
     secret, and compares - a mismatch is 403 SignatureDoesNotMatch;
  5. answers Action=GetCallerIdentity with the GetCallerIdentityResponse XML
     of aws-compat.md 3.3 (Arn, UserId, Account registered with the key);
     any other action is 400 InvalidAction.

Errors use STS's ErrorResponse envelope (aws-compat.md 3.4). Every request's
outcome is appended to FakeSTS.log as (access key id or None, error code or
"OK").  Import it with /usr/bin/python3 (it needs Debian's python3-botocore).
"""
import datetime
import hashlib
import hmac
import http.server
import re
import threading
import urllib.parse
import uuid
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request,\s*"
    r"SignedHeaders=([a-z0-9;.\-_]+),\s*Signature=([0-9a-f]{64})$"
)
MAX_SKEW = datetime.timedelta(minutes=15)


class StsError(Exception):
    def __init__(self, status, code, message):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


class FakeSTS:
    """A loopback STS; start() it, register() keys, read url and log, stop() it."""

    def __init__(self, region="us-east-1"):
        self.region = region
        self.keys = {}
        self.log = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    def register(self, access_key_id, secret, token, arn, user_id, account):
        """Accept requests signed with this key; GetCallerIdentity answers arn/user_id/account."""
        with self._lock:
            self.keys[access_key_id] = dict(secret=secret, token=token, arn=arn,
                                            user_id=user_id, account=account)

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        sts = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def do_GET(self):
                self._handle()

            def do_POST(self):
                self._handle()

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = sts.handle(self.command, self.path,
                                             list(self.headers.items()), body)
                data = payload.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    # -- request handling ------------------------------------------------------

    def handle(self, method, target, headers, body):
        """Return (HTTP status, XML text) for one request; also used without a socket."""
        seen = {}
        try:
            akid, entry = self._authenticate(method, target, headers, body, seen)
            params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query,
                                                 keep_blank_values=True))
            params.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            action = params.get("Action")
            if action != "GetCallerIdentity":
                raise StsError(400, "InvalidAction", f"Could not find operation {action}")
            if params.get("Version") != "2011-06-15":
                raise StsError(400, "InvalidAction", "Version must be 2011-06-15")
            xml = (f'<GetCallerIdentityResponse xmlns="{NS}">\n'
                   "  <GetCallerIdentityResult>\n"
                   f"    <Arn>{escape(entry['arn'])}</Arn>\n"
                   f"    <UserId>{escape(entry['user_id'])}</UserId>\n"
                   f"    <Account>{escape(entry['account'])}</Account>\n"
                   "  </GetCallerIdentityResult>\n"
                   f"  <ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>\n"
                   "</GetCallerIdentityResponse>\n")
            self._record(akid, "OK")
            return 200, xml
        except StsError as e:
            self._record(seen.get("akid"), e.code)
            return e.status, (f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type>'
                              f"<Code>{escape(e.code)}</Code><Message>{escape(e.message)}</Message>"
                              f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>\n")

    def _record(self, akid, outcome):
        with self._lock:
            self.log.append((akid, outcome))

    def _authenticate(self, method, target, headers, body, seen):
        lower = {}
        for name, value in headers:
            lower.setdefault(name.lower(), []).append(value)
        auth = lower.get("authorization")
        if not auth:
            raise StsError(403, "MissingAuthenticationToken",
                           "Request is missing Authentication Token")
        m = _AUTH_RE.match(auth[0].strip())
        if not m:
            raise StsError(400, "IncompleteSignature", "Authorization header is malformed")
        akid, date, region, service, signed, signature = m.groups()
        seen["akid"] = akid
        with self._lock:
            entry = self.keys.get(akid)
        if entry is None:
            raise StsError(403, "InvalidClientTokenId",
                           "The security token included in the request is invalid.")
        signed_names = signed.split(";")
        # Long-term keys (registered with token None) sign no security token and send none.
        required_names = ("host", "x-amz-date") + (
            ("x-amz-security-token",) if entry["token"] is not None else ())
        for required in required_names:
            if required not in signed_names:
                raise StsError(400, "IncompleteSignature", f"{required} is not a signed header")
        if signed_names != sorted(set(signed_names)):
            raise StsError(400, "IncompleteSignature", "SignedHeaders are not sorted and unique")
        for name in signed_names:
            if name not in lower:
                raise StsError(400, "IncompleteSignature", f"signed header {name} is missing")
        if lower.get("x-amz-security-token") != (None if entry["token"] is None else [entry["token"]]):
            raise StsError(403, "InvalidClientTokenId",
                           "The security token included in the request is invalid.")
        if service != "sts" or region != self.region:
            raise StsError(403, "SignatureDoesNotMatch",
                           f"Credential should be scoped to {self.region}/sts, not {region}/{service}")
        amzdate = lower["x-amz-date"][0]
        try:
            when = datetime.datetime.strptime(amzdate, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            raise StsError(400, "IncompleteSignature", "X-Amz-Date is not YYYYMMDDTHHMMSSZ")
        if amzdate[:8] != date:
            raise StsError(403, "SignatureDoesNotMatch", "credential date is not X-Amz-Date's")
        if abs(datetime.datetime.now(datetime.timezone.utc) - when) > MAX_SKEW:
            raise StsError(400, "RequestExpired", "Request has expired")
        if "x-amz-content-sha256" in lower and \
                lower["x-amz-content-sha256"] != [hashlib.sha256(body).hexdigest()]:
            raise StsError(400, "XAmzContentSHA256Mismatch", "payload hash does not match")

        # Recompute with botocore's signer over exactly what was signed.
        request = AWSRequest(method=method, url=f"http://{lower['host'][0]}{target}", data=body)
        for name in signed_names:
            for value in lower[name]:
                request.headers[name] = value
        request.context["timestamp"] = amzdate
        signer = SigV4Auth(Credentials(akid, entry["secret"], entry["token"]), service, region)
        canonical = signer.canonical_request(request)
        if canonical.split("\n")[-2] != signed:
            raise StsError(403, "SignatureDoesNotMatch", "signed header set differs")
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, signature):
            raise StsError(403, "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature "
                           "you provided. Check your AWS Secret Access Key and signing method.")
        return akid, entry
