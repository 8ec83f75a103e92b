# SPDX-License-Identifier: MIT
"""fake_imds.py - a loopback EC2 instance metadata service, IMDSv2 only.

FakeIMDS serves http://127.0.0.1:<ephemeral port> from a thread:

  * PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds (1..21600)
    answers a new random session token (400 without the header, 403 with
    X-Forwarded-For, as IMDS does);
  * GET /latest/meta-data/iam/security-credentials/ answers the role name and
    GET .../ROLE the credentials document ({"Code": "Success", "Type":
    "AWS-HMAC", "AccessKeyId", "SecretAccessKey", "Token", "Expiration",
    "LastUpdated"}), both only with a live X-aws-ec2-metadata-token: 401
    without one or with an unknown or expired one (IMDSv1 is refused);
  * the credentials are minted on rotate() (and on the first fetch, and on
    every fetch with rotate_each_fetch) and registered with the fake STS
    (FakeSTS.register), so STS calls signed with them verify there with
    botocore's signer, session token included.

Counters: token_puts, role_gets, creds_gets, refused (401s and 400s);
invalidate_tokens() forgets every token (an IMDS restart); mode "error"
answers 500 to everything.
"""
import datetime
import http.server
import json
import secrets
import string
import threading
import time

ALPHA32 = string.ascii_uppercase + "234567"
ROLE = "roled-host"


def _iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeIMDS:
    def __init__(self, account="111122223333"):
        self.account = account
        self.sts = None               # a FakeSTS to register minted credentials with
        self.tokens = {}              # token -> expiry (time.time())
        self.creds = None             # the current credentials document
        self.lifetime = 6 * 3600
        self.rotate_each_fetch = False
        self.mode = "ok"
        self.token_puts = self.role_gets = self.creds_gets = self.refused = 0
        self.keys = []                # every access key id minted, in order
        self._lock = threading.Lock()
        self._server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def rotate(self):
        """Mint new credentials (registered with the fake STS)."""
        akid = "ASIA" + "".join(secrets.choice(ALPHA32) for _ in range(16))
        secret = secrets.token_urlsafe(30)[:40]
        token = secrets.token_urlsafe(200)
        now = time.time()
        with self._lock:
            self.creds = {"Code": "Success", "LastUpdated": _iso(now), "Type": "AWS-HMAC",
                          "AccessKeyId": akid, "SecretAccessKey": secret, "Token": token,
                          "Expiration": _iso(now + self.lifetime)}
            self.keys.append(akid)
        if self.sts is not None:
            self.sts.register(akid, secret, token,
                              f"arn:aws:sts::{self.account}:assumed-role/{ROLE}/i-0123456789abcdef0",
                              "AROAROLEDHOSTROLE:i-0123456789abcdef0", self.account)
        return akid

    def invalidate_tokens(self):
        with self._lock:
            self.tokens.clear()

    def start(self):
        imds = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def answer(self, status, body, ctype="text/plain"):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                if imds.mode == "error":
                    return self.answer(500, "Internal Server Error")
                if self.path != "/latest/api/token":
                    return self.answer(404, "Not Found")
                if self.headers.get("X-Forwarded-For"):
                    return self.answer(403, "Forbidden")
                try:
                    ttl = int(self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
                except ValueError:
                    ttl = 0
                if not 1 <= ttl <= 21600:
                    with imds._lock:
                        imds.refused += 1
                    return self.answer(400, "Bad Request")
                token = secrets.token_urlsafe(40)
                with imds._lock:
                    imds.tokens[token] = time.time() + ttl
                    imds.token_puts += 1
                self.answer(200, token)

            def do_GET(self):
                if imds.mode == "error":
                    return self.answer(500, "Internal Server Error")
                token = self.headers.get("X-aws-ec2-metadata-token")
                with imds._lock:
                    live = token is not None and imds.tokens.get(token, 0) > time.time()
                    if not live:
                        imds.refused += 1
                if not live:
                    return self.answer(401, "Unauthorized")
                base = "/latest/meta-data/iam/security-credentials/"
                if self.path == base:
                    with imds._lock:
                        imds.role_gets += 1
                    return self.answer(200, ROLE)
                if self.path == base + ROLE:
                    with imds._lock:
                        imds.creds_gets += 1
                        fresh = imds.creds is None or imds.rotate_each_fetch
                    if fresh:
                        imds.rotate()
                    with imds._lock:
                        doc = json.dumps(imds.creds, indent=2)
                    return self.answer(200, doc, "application/json")
                self.answer(404, "Not Found")

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
