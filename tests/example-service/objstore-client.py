#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""objstore-client - send one SigV4-signed request to the objstore example.

Signs with botocore's SigV4Auth (service s3) using a credential_process JSON
document (what `rolectl credential-process` prints) and prints the HTTP
status on the first line and the body after it.  Test knobs: --tamper
changes the signature after signing, --skew signs with a clock that many
seconds off, --context KEY=VALUE adds a signed x-roled-context header;
--service, --region and --host sign for another endpoint (a request captured
on its way there and replayed to objstore: it is still sent to objstore's
port, with the Host header it was signed with).
"""
import argparse
import datetime
import http.client
import json
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--creds", required=True, help="credential_process JSON file")
    p.add_argument("--body", default="")
    p.add_argument("--tamper", action="store_true")
    p.add_argument("--skew", type=int, default=0)
    p.add_argument("--context", help="KEY=VALUE, sent (and signed) as x-roled-context")
    p.add_argument("--service", default="s3")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--host", help="sign for this Host instead of 127.0.0.1:PORT")
    p.add_argument("method")
    p.add_argument("path")
    a = p.parse_args()

    with open(a.creds) as f:
        doc = json.load(f)
    creds = Credentials(doc["AccessKeyId"], doc["SecretAccessKey"], doc["SessionToken"])
    if a.skew:
        skew = datetime.timedelta(seconds=a.skew)
        if hasattr(botocore.auth, "get_current_datetime"):
            real = botocore.auth.get_current_datetime
            botocore.auth.get_current_datetime = lambda: real() + skew
        else:
            # Older botocore (Debian 12) reads datetime.datetime.utcnow() directly.
            class SkewedDatetime(datetime.datetime):
                @classmethod
                def utcnow(cls):
                    return datetime.datetime.utcnow() + skew

            class SkewedModule:
                datetime = SkewedDatetime

            botocore.auth.datetime = SkewedModule
    url = "http://%s%s" % (a.host or "127.0.0.1:%d" % a.port, a.path)
    req = AWSRequest(method=a.method, url=url, data=a.body.encode())
    if a.context:
        req.headers["x-roled-context"] = a.context
    botocore.auth.SigV4Auth(creds, a.service, a.region).add_auth(req)
    prepared = req.prepare()
    hdrs = dict(prepared.headers.items())
    if a.tamper:
        auth = hdrs["Authorization"]
        last = auth[-1]
        hdrs["Authorization"] = auth[:-1] + ("0" if last != "0" else "1")
    conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
    if not any(k.lower() == "host" for k in hdrs):
        hdrs["Host"] = a.host or "127.0.0.1:%d" % a.port
    conn.putrequest(a.method, a.path, skip_host=True, skip_accept_encoding=True)
    for k, v in hdrs.items():
        conn.putheader(k, v)
    conn.endheaders(prepared.body or None)
    resp = conn.getresponse()
    body = resp.read().decode(errors="replace")
    sys.stdout.write("%d\n%s" % (resp.status, body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
