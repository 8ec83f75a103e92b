# SPDX-License-Identifier: MIT
"""Environment-variable credentials: `rolectl exec` and `rolectl env`.

  * `rolectl exec --role main -- /usr/bin/aws sts get-caller-identity
    --endpoint-url <fake STS>`: the CLI signs with the AWS_* variables rolectl
    set (the fake STS verifies the signature), even though AWS_PROFILE named a
    profile whose credential_process would be refused (exec removes it);
  * `rolectl env` output, sourced by /bin/sh (`.` and `eval`), gives boto3 the
    same credentials through its env provider, expiry included
    (AWS_CREDENTIAL_EXPIRATION).
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdkenv  # noqa: E402
from sdkenv import ACCOUNT, AWS, PYTHON, REGION, ROLECTL, AgentTestCase  # noqa: E402
from fake_sts import FakeSTS  # noqa: E402

BOTO3_PROBE = (
    "import boto3, json\n"
    "c = boto3.Session().get_credentials()\n"
    "f = c.get_frozen_credentials()\n"
    "print(json.dumps({'method': c.method, 'type': type(c).__name__,\n"
    "                  'expiry': c._expiry_time.isoformat() if hasattr(c, '_expiry_time') else None,\n"
    "                  'key': f.access_key, 'secret': f.secret_key, 'token': f.token}))\n"
)


class EnvExec(AgentTestCase):
    aws_profiles = {
        "refused": {"credential_process": f"{ROLECTL} credential-process --role denied"},
    }

    def test_exec_aws_cli_get_caller_identity(self):
        sts = FakeSTS(REGION).start()
        self.addCleanup(sts.stop)
        # rolectl exec asks the agent as the same caller (uid, rolectl), so it
        # gets the cached session credential-process shows.
        creds = self.credential_process("--role", "main")
        claims = self.token_claims(creds["SessionToken"])
        arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/main/{claims['sessionId']}"
        sts.register(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"],
                     arn, f"{creds['AccessKeyId']}:main", ACCOUNT)
        env = dict(os.environ, AWS_PROFILE="refused", AWS_DEFAULT_PROFILE="refused")
        _, out, _ = self.run_cmd([ROLECTL, "exec", "--role", "main", "--", AWS, "sts",
                                  "get-caller-identity", "--endpoint-url", sts.url,
                                  "--region", REGION, "--output", "json"], env=env)
        self.assertEqual(json.loads(out), {"UserId": f"{creds['AccessKeyId']}:main",
                                           "Account": ACCOUNT, "Arn": arn})
        self.assertEqual(sts.log, [(creds["AccessKeyId"], "OK")])

    def test_exec_sets_the_four_variables(self):
        creds = self.credential_process("--role", "main")
        _, out, _ = self.run_cmd([ROLECTL, "exec", "--role", "main", "--", PYTHON, "-I", "-c",
                                  "import json, os; print(json.dumps({k: v for k, v in "
                                  "os.environ.items() if k.startswith('AWS_')}))"],
                                 env=dict(os.environ, AWS_PROFILE="refused"))
        got = json.loads(out)
        self.assertEqual(got["AWS_ACCESS_KEY_ID"], creds["AccessKeyId"])
        self.assertEqual(got["AWS_SECRET_ACCESS_KEY"], creds["SecretAccessKey"])
        self.assertEqual(got["AWS_SESSION_TOKEN"], creds["SessionToken"])
        self.assertEqual(got["AWS_CREDENTIAL_EXPIRATION"], creds["Expiration"])
        self.assertNotIn("AWS_PROFILE", got)

    def check_probe(self, out, creds):
        got = json.loads(out)
        self.assertEqual(got["method"], "env")
        self.assertEqual(got["type"], "RefreshableCredentials")
        self.assertEqual((got["key"], got["secret"], got["token"]),
                         (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]))
        self.assertEqual(datetime.datetime.fromisoformat(got["expiry"]),
                         datetime.datetime.fromisoformat(creds["Expiration"].replace("Z", "+00:00")))

    def test_env_sourced_by_sh_then_boto3(self):
        creds = self.credential_process("--role", "main")
        script = os.path.join(self.tmp, "creds.sh")
        _, out, _ = self.rolectl("env", "--role", "main")
        with open(script, "w") as f:
            f.write(out)
        _, out, _ = self.run_cmd(["/bin/sh", "-c", '. "$1" && exec "$2" -I -c "$3"', "sh",
                                  script, PYTHON, BOTO3_PROBE])
        self.check_probe(out, creds)

    def test_env_eval_in_sh_then_boto3(self):
        creds = self.credential_process("--role", "main")
        _, out, _ = self.run_cmd(["/bin/sh", "-c",
                                  'set -e; eval "$("$1" env --role main)"; exec "$2" -I -c "$3"',
                                  "sh", ROLECTL, PYTHON, BOTO3_PROBE])
        self.check_probe(out, creds)


if __name__ == "__main__":
    sdkenv.main()
