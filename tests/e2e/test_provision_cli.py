"""End to end: `privatelink-sidecar provision plan|apply|verify|destroy|iam-policy` (same-region,
cross-region and peering across two regions and two accounts) with the real binary against the
AWS fake (moto + the behaviours moto lacks, tests/support/aws_fake), which the test starts on
loopback. The VPCs and subnets are made with botocore, a real AWS client. Also: bad input
(unknown site, wrong region, overlapping CIDRs, missing VPC, missing or refused credentials) and
failures injected by the fake in the middle of apply, then a resumed apply.

    SIDECAR_BINARY=build/dev/sidecar/privatelink-sidecar \
    SIDECAR_TEST_SUPPORT_DIR=tests/support python3 -m unittest -v test_provision_cli
"""

import http.server
import json
import os
import socket
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request

sys.dont_write_bytecode = True
SUPPORT = os.environ.get("SIDECAR_TEST_SUPPORT_DIR", os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, SUPPORT)
from aws_fake import AwsFake  # noqa: E402
import botocore.session  # noqa: E402
import botocore.utils  # noqa: E402

BINARY = os.environ.get("SIDECAR_BINARY", "privatelink-sidecar")
KEY = "AKIDPROVISIONE2E"       # account 1: the endpoint VPC's (default credentials, from the environment)
KEY2 = "AKIDPROVISIONAGENTS"   # account 2: an Agent VPC's (profile "agents" in a shared credentials file)
ACCOUNT1, ACCOUNT2 = "111111111111", "222222222222"
SECRET = "test-secret-never-printed"
POLL = ("--poll-interval", "0.05")


def policy_actions(text):
    """{"ec2:DescribeVpcs", "route53:GetChange", ...} of an IAM policy document."""
    actions = set()
    for statement in json.loads(text)["Statement"]:
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


class ProvisionCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = AwsFake("127.0.0.1", 0, {"accounts": {KEY: ACCOUNT1, KEY2: ACCOUNT2}}).start()
        cls.shared = tempfile.mkdtemp(prefix="pl-provision-aws-")
        credentials = os.path.join(cls.shared, "credentials")
        with open(credentials, "w") as f:
            f.write("[agents]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (KEY2, SECRET + "-agents"))
        empty = os.path.join(cls.shared, "config")
        open(empty, "w").close()
        # Never the developer's own ~/.aws, and never instance metadata (loopback only).
        cls.env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET,
                       AWS_ENDPOINT_URL=cls.fake.url, AWS_REGION="us-east-1",
                       AWS_SHARED_CREDENTIALS_FILE=credentials, AWS_CONFIG_FILE=empty,
                       AWS_EC2_METADATA_DISABLED="true")
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_ROUTE_53",
                     "AWS_DEFAULT_REGION", "AWS_EC2_METADATA_SERVICE_ENDPOINT"):
            cls.env.pop(name, None)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.reset()
        # The endpoint VPC: account 1, us-east-1, 10.1.0.0/16, a subnet in us-east-1a and one in us-east-1b.
        self.vpc, self.subnets = self.make_vpc("us-east-1", "10.1.0.0/16", ("us-east-1a", "us-east-1b"))
        self.dir = tempfile.mkdtemp(prefix="pl-provision-")
        self.file = os.path.join(self.dir, "provision.yaml")
        self.write({"site": "datadoghq.com", "mode": "same-region", "services": ["metrics", "logs"],
                    "endpoint_vpc": {"region": "us-east-1", "vpc_id": self.vpc, "subnet_ids": self.subnets},
                    "agent_vpcs": [{"region": "us-east-1", "vpc_id": self.vpc}]})

    # ------------------------------------------------------------------ helpers

    def client(self, service, region="us-east-1", key=KEY):
        return botocore.session.get_session().create_client(service, region_name=region, endpoint_url=self.fake.url,
                                                            aws_access_key_id=key, aws_secret_access_key="x")

    def make_vpc(self, region, cidr, zones=(), key=KEY, dns=True):
        """A VPC (DNS attributes on) and one /24 subnet per zone; returns (vpc id, [subnet ids])."""
        ec2 = self.client("ec2", region, key)
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        if dns:
            ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
            ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
        prefix = cidr.rsplit(".", 2)[0]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="%s.%d.0/24" % (prefix, i),
                                     AvailabilityZone=zone)["Subnet"]["SubnetId"] for i, zone in enumerate(zones)]
        return vpc, subnets

    def write(self, config):
        with open(self.file, "w") as f:
            json.dump(config, f)
        self.forget_calls()  # the call log then holds only what the binary did

    def forget_calls(self):
        request = urllib.request.Request(self.fake.url + "/fake-api/calls", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()

    def assert_no_problem(self, plan):
        self.assertEqual([line for line in plan.stdout.splitlines() if line.startswith("problem ")], [], plan.stdout)
        self.assertIn(" 0 problem(s)", plan.stdout)

    def provision(self, *args, env=None):
        result = subprocess.run([BINARY, "provision", *args, "-f", self.file], capture_output=True, text=True,
                                env=self.env if env is None else env, stdin=subprocess.DEVNULL, timeout=300)
        self.assertNotIn(SECRET, result.stdout + result.stderr)
        return result

    def expect(self, result, code, *texts, stream="stdout"):
        """Exit code, and each text in stdout (or stderr, or "both")."""
        output = result.stdout + "\n----- stderr -----\n" + result.stderr
        self.assertEqual(result.returncode, code, output)
        where = {"stdout": result.stdout, "stderr": result.stderr, "both": result.stdout + result.stderr}[stream]
        for text in texts:
            self.assertIn(text, where, output)
        return result

    def iam_policy(self, *args):
        result = subprocess.run([BINARY, "provision", "iam-policy", *args], capture_output=True, text=True,
                                env=self.env, stdin=subprocess.DEVNULL, timeout=60)
        self.expect(result, 0)
        return policy_actions(result.stdout)

    def test_plan_apply_apply_again_verify(self):
        plan = self.provision("plan", "-o", "json")
        self.assertEqual(plan.returncode, 0, plan.stdout + plan.stderr)
        self.assertIn("create", plan.stdout)
        refused = self.provision("apply")  # not a terminal and no --yes
        self.assertEqual(refused.returncode, 4, refused.stdout + refused.stderr)
        applied = self.provision("apply", "--yes")
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        again = self.provision("apply", "--yes")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("0 to create", again.stdout)  # idempotent: the second apply changes nothing
        self.assertIn("apply: nothing to change", again.stdout)
        verify = self.provision("verify")
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    def test_apply_and_destroy_json_is_one_document_on_stdout(self):
        """-o json for apply/destroy: stdout is one JSON document (the plan and its result); the
        people-facing lines (refusal, progress) go to stderr."""
        refused = self.expect(self.provision("apply", "-o", "json"), 4, "run with --yes", stream="stderr")
        document = json.loads(refused.stdout)
        self.assertTrue(document["result"]["declined"])
        self.assertGreater(len(document["plan"]["actions"]), 0)
        applied = json.loads(self.expect(self.provision("apply", "--yes", "-o", "json", "--poll-interval", "0.05"),
                                         0).stdout)
        self.assertTrue(applied["result"]["ok"])
        self.assertEqual(len(applied["result"]["done"]), len(applied["plan"]["actions"]))
        self.assertEqual(len(applied["result"]["endpoint_ids"]), 2)
        self.assertIsNone(applied["result"]["error"])
        destroyed = json.loads(self.expect(self.provision("destroy", "--yes", "-o", "json", "--poll-interval", "0.05"),
                                           0).stdout)
        self.assertEqual({item["kind"] for item in destroyed["plan"]["delete"]}, {"endpoint", "security-group"})
        self.assertEqual(len(destroyed["result"]["done"]), 3)
        self.fake.configure({"failures": [{"action": "CreateVpcEndpoint", "code": "VpcEndpointLimitExceeded",
                                           "status": 400, "message": "limit"}]})
        failed = self.expect(self.provision("apply", "--yes", "-o", "json", "--poll-interval", "0.05"), 3,
                             "VpcEndpointLimitExceeded", stream="stderr")
        result = json.loads(failed.stdout)["result"]
        self.assertFalse(result["ok"])
        self.assertIn("VpcEndpointLimitExceeded", result["error"])
        self.assertEqual(len(result["done"]), 2)  # the group and its rule exist so far

    def test_destroy_removes_only_tagged_and_is_idempotent(self):
        applied = self.provision("apply", "--yes")
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        ec2 = self.client("ec2")
        with open(self.file) as f:
            wanted = json.load(f)
        vpc, subnets = wanted["endpoint_vpc"]["vpc_id"], wanted["endpoint_vpc"]["subnet_ids"]
        group = ec2.create_security_group(GroupName="users-own", Description="not provision's", VpcId=vpc)["GroupId"]
        services = ec2.describe_vpc_endpoint_services()["ServiceNames"]
        api = [name for name in services if name.endswith("vpce-svc-07895350fd0109264")] or \
              [name for name in services if name.startswith("com.amazonaws.vpce.us-east-1.vpce-svc-")]
        untagged = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=api[-1], VpcEndpointType="Interface",
                                           SubnetIds=subnets, SecurityGroupIds=[group])["VpcEndpoint"]["VpcEndpointId"]
        refused = self.provision("destroy")  # not a terminal and no --yes
        self.assertEqual(refused.returncode, 4, refused.stdout + refused.stderr)
        destroyed = self.provision("destroy", "--yes")
        self.assertEqual(destroyed.returncode, 0, destroyed.stdout + destroyed.stderr)
        self.assertIn("resource(s) deleted", destroyed.stdout)
        live = [e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
                ["VpcEndpoints"] if e["State"].lower() not in ("deleting", "deleted")]
        self.assertEqual(live, [untagged])
        verify = self.provision("verify")
        self.assertEqual(verify.returncode, 1, verify.stdout + verify.stderr)
        again = self.provision("destroy", "--yes")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("nothing to do", again.stdout)

    def test_iam_policy_is_json_without_credentials(self):
        env = {key: value for key, value in self.env.items() if not key.startswith("AWS_")}
        result = subprocess.run([BINARY, "provision", "iam-policy"], capture_output=True, text=True, env=env,
                                stdin=subprocess.DEVNULL, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        policy = json.loads(result.stdout)
        actions = {a for statement in policy["Statement"] for a in statement["Action"]}
        self.assertIn("ec2:DeleteVpcEndpoints", actions)
        self.assertIn("ec2:CreateVpcEndpoint", actions)
        self.assertIn("route53:CreateHostedZone", actions)  # peering mode: private zones
        self.assertTrue(all(a.startswith(("ec2:", "route53:", "vpce:")) for a in actions), actions)
        self.assertIn("vpce:AllowMultiRegion", actions)  # permission-only, for cross-region endpoints
        agent = subprocess.run([BINARY, "provision", "iam-policy", "--agent-account"], capture_output=True, text=True,
                               env=env, stdin=subprocess.DEVNULL, timeout=60)
        self.assertEqual(agent.returncode, 0, agent.stdout + agent.stderr)
        agent_actions = policy_actions(agent.stdout)
        self.assertIn("ec2:AcceptVpcPeeringConnection", agent_actions)
        self.assertIn("route53:AssociateVPCWithHostedZone", agent_actions)
        self.assertNotIn("ec2:CreateVpcPeeringConnection", agent_actions)  # the endpoint account requests it
        self.assertNotIn("route53:CreateHostedZone", agent_actions)

    def test_bad_file_names_file_line_and_key(self):
        with open(self.file, "w") as f:
            f.write("site: datadoghq.com\nmode: same-region\nendpoint_vpc: {region: us-east-1, vpcid: vpc-1}\n")
        result = self.provision("plan")
        self.assertEqual(result.returncode, 2)
        self.assertIn("provision.yaml:3:", result.stderr)
        self.assertIn("endpoint_vpc.vpcid: unknown key", result.stderr)


    # ------------------------------------------------------------ bad input

    def test_unknown_site_names_file_line_and_key(self):
        self.forget_calls()
        with open(self.file, "w") as f:
            f.write("mode: same-region\nsite: datadoghq.invalid\nservices: [metrics]\n"
                    "endpoint_vpc: {region: us-east-1, vpc_id: %s, subnet_ids: [%s]}\n" % (self.vpc, self.subnets[0]))
        result = self.expect(self.provision("plan"), 2, "provision.yaml:2:", "site", "unknown site 'datadoghq.invalid'",
                             stream="stderr")
        self.assertEqual(result.stdout, "")
        self.assertEqual(self.fake.calls(), [])  # a bad file is refused before any AWS call

    def test_service_of_another_region_is_verified_in_the_wrong_region(self):
        tokyo = "com.amazonaws.vpce.ap-northeast-1.vpce-svc-002d904d5e69340ad"  # AP1 metrics
        self.write({"site": "US1", "mode": "same-region", "services": [tokyo],
                    "endpoint_vpc": {"region": "us-east-1", "vpc_id": self.vpc, "subnet_ids": self.subnets},
                    "agent_vpcs": [{"region": "us-east-1", "vpc_id": self.vpc}]})
        plan = self.expect(self.provision("plan"), 1, "verified in the wrong region", tokyo, "ap-northeast-1")
        self.assertIn("problem services.", plan.stdout)
        refused = self.expect(self.provision("apply", "--yes", *POLL), 1, "verified in the wrong region")
        self.assertNotIn("done", refused.stderr)
        self.assertFalse([c for c in self.fake.calls() if c["action"].startswith("Create")])  # nothing was made

    def test_overlapping_cidrs_in_peering_mode(self):
        agent, _ = self.make_vpc("us-west-2", "10.1.0.0/16")  # the endpoint VPC's CIDR
        self.write({"site": "US1", "mode": "peering", "services": ["metrics"],
                    "endpoint_vpc": {"region": "us-east-1", "vpc_id": self.vpc, "subnet_ids": self.subnets},
                    "agent_vpcs": [{"region": "us-west-2", "vpc_id": agent}]})
        plan = self.expect(self.provision("plan"), 1, "overlap", self.vpc, agent, "10.1.0.0/16")
        self.assertIn("problem agent_vpcs:", plan.stdout)
        self.expect(self.provision("apply", "--yes", *POLL), 1, "overlap")
        self.assertFalse([c for c in self.fake.calls() if c["action"].startswith("Create")])

    def test_vpc_that_does_not_exist(self):
        missing = "vpc-0123456789abcdef0"
        self.write({"site": "US1", "mode": "same-region", "services": ["metrics"],
                    "endpoint_vpc": {"region": "us-east-1", "vpc_id": missing, "subnet_ids": self.subnets},
                    "agent_vpcs": [{"region": "us-east-1", "vpc_id": missing}]})
        self.expect(self.provision("plan"), 1, "problem endpoint_vpc.vpc_id: %s does not exist in us-east-1" % missing)
        self.expect(self.provision("verify"), 1, "[FAIL] VPC %s exists in us-east-1" % missing)
        # An Agent VPC of peering mode, looked up with its own profile (account 2).
        self.write({"site": "US1", "mode": "peering", "services": ["metrics"],
                    "endpoint_vpc": {"region": "us-east-1", "vpc_id": self.vpc, "subnet_ids": self.subnets},
                    "agent_vpcs": [{"region": "us-west-2", "vpc_id": missing, "profile": "agents"}]})
        self.expect(self.provision("plan"), 1,
                    "problem agent_vpcs[0]: %s does not exist in us-west-2 (profile agents)" % missing)

    def test_missing_credentials(self):
        home = tempfile.mkdtemp(prefix="pl-provision-home-")
        empty = os.path.join(home, "empty-config")
        open(empty, "w").close()
        base = {key: value for key, value in self.env.items() if not key.startswith("AWS_")}
        base.update(HOME=home, AWS_ENDPOINT_URL=self.fake.url, AWS_REGION="us-east-1",
                    AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "no-such-credentials"), AWS_CONFIG_FILE=empty)
        with socket.socket() as closed:  # a loopback port where nothing listens: no instance metadata
            closed.bind(("127.0.0.1", 0))
            no_imds = "http://127.0.0.1:%d/" % closed.getsockname()[1]
        for name, extra in (("IMDS disabled", {"AWS_EC2_METADATA_DISABLED": "true"}),
                            ("IMDS unreachable", {"AWS_EC2_METADATA_SERVICE_ENDPOINT": no_imds})):
            for action in (("plan",), ("apply", "--yes"), ("verify",), ("destroy", "--yes")):
                with self.subTest(name, action=action[0]):
                    result = self.expect(self.provision(*action, env=dict(base, **extra)), 3, "AWS credentials",
                                         stream="stderr")
                    self.assertIn("no AWS credentials", result.stderr)
        # A profile named in the file that the shared files do not have: the same, naming the profile.
        self.write({"site": "US1", "mode": "peering", "services": ["metrics"],
                    "endpoint_vpc": {"region": "us-east-1", "vpc_id": self.vpc, "subnet_ids": self.subnets},
                    "agent_vpcs": [{"region": "us-west-2", "vpc_id": "vpc-0123456789abcdef0", "profile": "nosuch"}]})
        self.expect(self.provision("plan"), 3, "AWS credentials (profile nosuch)", "nosuch", stream="stderr")
        self.assertEqual([c for c in self.fake.calls() if c["account"] not in (ACCOUNT1,)], [])

    def test_instance_profile_credentials(self):
        """No keys in the environment or the shared files, but an instance role (IMDSv2, served by a stub on
        loopback through AWS_EC2_METADATA_SERVICE_ENDPOINT): the SDK chain's last step finds them."""
        role_secret = SECRET + "-from-imds"
        document = json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": KEY,
                               "SecretAccessKey": role_secret, "Token": "imds-session-token",
                               "Expiration": "2099-01-01T00:00:00Z", "LastUpdated": "2024-01-01T00:00:00Z"})

        class Imds(http.server.BaseHTTPRequestHandler):
            def answer(self, status, body=b""):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_PUT(self):
                ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
                self.answer(200 if self.path == "/latest/api/token" and ttl else 400, b"stub-token")

            def do_GET(self):
                if self.headers.get("X-aws-ec2-metadata-token") != "stub-token":
                    return self.answer(401)
                base = "/latest/meta-data/iam/security-credentials/"
                pages = {base: b"provision-role", base + "provision-role": document.encode()}
                self.answer(200, pages[self.path]) if self.path in pages else self.answer(404)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Imds)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        home = tempfile.mkdtemp(prefix="pl-provision-home-")
        env = {key: value for key, value in self.env.items() if not key.startswith("AWS_")}
        env.update(HOME=home, AWS_ENDPOINT_URL=self.fake.url, AWS_REGION="us-east-1",
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "none"), AWS_CONFIG_FILE=os.path.join(home, "none"),
                   AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:%d/" % server.server_address[1])
        # The stub is what a real SDK accepts: botocore's IMDS client gets the role's keys from it.
        fetched = botocore.utils.InstanceMetadataFetcher(
            timeout=2, num_attempts=1, base_url=env["AWS_EC2_METADATA_SERVICE_ENDPOINT"]).retrieve_iam_role_credentials()
        self.assertEqual((fetched.get("role_name"), fetched.get("access_key")), ("provision-role", KEY))
        plan = self.provision("plan", env=env)
        self.assertNotIn(role_secret, plan.stdout + plan.stderr)
        self.expect(plan, 0, "0 problem(s)")
        self.assertTrue([c for c in self.fake.calls() if c["account"] == ACCOUNT1 and c["action"] == "DescribeVpcs"])

    def test_refused_credentials_exit_3_with_the_aws_code(self):
        for code, status, message in (
                ("AuthFailure", 401, "AWS was not able to validate the provided access credentials"),
                ("RequestExpired", 400, "Request has expired.")):
            self.forget_calls()
            self.fake.configure({"failures": [{"action": "DescribeVpcs", "code": code, "status": status,
                                               "message": message, "times": 100}]})
            for action in (("plan",), ("apply", "--yes", *POLL), ("verify",)):
                with self.subTest(code, action=action[0]):
                    result = self.expect(self.provision(*action), 3, code, message, stream="stderr")
                    self.assertTrue(result.stderr.startswith("provision: ") or "\nprovision: " in result.stderr,
                                    result.stderr)
            self.assertFalse([c for c in self.fake.calls() if c["action"].startswith("Create")])

    def test_failure_in_the_middle_of_apply_then_resume(self):
        self.fake.configure({"failures": [{"action": "CreateVpcEndpoint", "nth": 2, "when": "before", "status": 400,
                                           "code": "VpcEndpointLimitExceeded",
                                           "message": "The maximum number of VPC endpoints has been reached."}]})
        failed = self.expect(self.provision("apply", "--yes", *POLL), 3, "change(s) made before the failure:",
                             "  done  create security group privatelink-sidecar-datadog in " + self.vpc,
                             "  done  create endpoint for metrics",
                             "apply: run `provision apply` again to resume",
                             "VpcEndpointLimitExceeded", "The maximum number of VPC endpoints has been reached.",
                             stream="stderr")
        self.assertNotIn("  done  create endpoint for logs", failed.stderr)
        last = failed.stderr.strip().splitlines()[-1]
        self.assertTrue(last.startswith("provision: ") and "VpcEndpointLimitExceeded" in last, failed.stderr)
        self.assertIn("logs", last)  # names the step that failed
        done = [line for line in failed.stderr.splitlines() if line.startswith("  done  ")]
        self.assertIn("apply: %d change(s) made before the failure:" % len(done), failed.stderr)
        ec2 = self.client("ec2")
        made = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [self.vpc]}])["VpcEndpoints"]
        self.assertEqual(len(made), 1, made)  # what the report says exists, exists
        left = self.expect(self.provision("plan"), 0, "1 to create", "create  create endpoint for logs")
        self.assertIn("keep    endpoint for metrics", left.stdout)
        self.expect(self.provision("apply", "--yes", *POLL), 0, "apply: 1 change(s) made; 2 endpoint(s) available")
        self.expect(self.provision("plan"), 0, "0 to create")
        self.expect(self.provision("verify"), 0, "0 failed")
        made = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [self.vpc]}])["VpcEndpoints"]
        self.assertEqual(len(made), 2, made)  # no duplicate

    def test_interrupt_while_waiting_reports_what_was_done_then_resumes(self):
        # The endpoints stay pending, so apply waits for them; Ctrl-C (SIGINT) then stops it between polls.
        self.fake.configure({"endpoint_pending_describes": 1000000})
        try:
            process = subprocess.Popen([BINARY, "provision", "apply", "--yes", "-o", "json", "--poll-interval", "2",
                                        "-f", self.file],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                       text=True, env=self.env)
            before = []
            for line in process.stderr:
                before.append(line)
                if line.startswith("waiting for the endpoints"):
                    break
            # Safe to hand over to communicate(): the binary writes nothing more until the signal (its
            # next poll is 2 s away), so no output sits unread in the stderr reader's buffer.
            process.send_signal(signal.SIGINT)
            out, after = process.communicate(timeout=60)
        finally:
            self.fake.configure({"endpoint_pending_describes": 2})
        err = "".join(before) + after
        self.assertNotIn(SECRET, out + err)
        self.assertEqual(process.returncode, 130, err)
        done = [line for line in err.splitlines() if line.startswith("  done  ")]
        self.assertEqual(len(done), 4, err)  # the group, its rule, two endpoints
        self.assertIn("apply: 4 change(s) made before the interruption:", err)
        self.assertIn("apply: run `provision apply` again to resume", err)
        self.assertIn("interrupted before the rest of the wait for the endpoints", err.strip().splitlines()[-1])
        result = json.loads(out)["result"]
        self.assertEqual((result["ok"], result["interrupted"], len(result["done"])), (False, True, 4), out)
        self.expect(self.provision("apply", "--yes", *POLL), 0, "apply: nothing to change; 2 endpoint(s) available")
        made = self.client("ec2").describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [self.vpc]}])
        self.assertEqual(len(made["VpcEndpoints"]), 2)  # resumed, not repeated

    def test_lost_answer_then_resume_makes_no_duplicate(self):
        # The endpoint is created, but every answer, retries included, is an error ("after"): lost answers.
        self.fake.configure({"failures": [{"action": "CreateVpcEndpoint", "nth": 1, "when": "after", "status": 500,
                                           "times": 50, "code": "InternalError", "message": "injected: answer lost"}]})
        failed = self.expect(self.provision("apply", "--yes", *POLL), 3, "InternalError", "injected: answer lost",
                             "apply: run `provision apply` again to resume", stream="stderr")
        self.assertNotIn("  done  create endpoint", failed.stderr)
        self.fake.configure({"failures": []})
        self.expect(self.provision("apply", "--yes", *POLL), 0, "2 endpoint(s) available")
        self.expect(self.provision("verify"), 0, " 0 failed")
        made = self.client("ec2").describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [self.vpc]}])
        self.assertEqual(sorted(e["ServiceName"] for e in made["VpcEndpoints"]),
                         ["com.amazonaws.vpce.us-east-1.vpce-svc-025a56b9187ac1f63",
                          "com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8"])

    # ------------------------------------------------------------ peering, two regions, two accounts

    def peering_world(self):
        """Endpoint VPC (account 1, us-east-1, from setUp); Agent VPCs in account 1 eu-west-1 and in
        account 2 us-west-2 (profile agents). Returns (eu vpc, us-west-2 vpc)."""
        europe, _ = self.make_vpc("eu-west-1", "10.2.0.0/16")
        oregon, _ = self.make_vpc("us-west-2", "10.3.0.0/16", key=KEY2)
        self.write({"site": "US1", "mode": "peering", "services": ["metrics", "logs"],
                    "endpoint_vpc": {"region": "us-east-1", "vpc_id": self.vpc, "subnet_ids": self.subnets},
                    "agent_vpcs": [{"region": "eu-west-1", "vpc_id": europe},
                                   {"region": "us-west-2", "vpc_id": oregon, "profile": "agents"}]})
        return europe, oregon

    # The fake's call log names Route 53 operations by their path; a path missing from its table shows as
    # "Route53Other". The only such calls provision makes are the tag calls
    # (/2013-04-01/tags/hostedzone/<id>: GET = ListTagsForResource, POST = ChangeTagsForResource).
    UNNAMED = {("route53", "Route53Other"): ("ListTagsForResource", "ChangeTagsForResource")}

    def assert_calls_allowed_by_iam_policies(self, calls):
        """Every call the binary made is in its account's `provision iam-policy` document."""
        endpoint_policy, agent_policy = self.iam_policy(), self.iam_policy("--agent-account")
        self.assertTrue([c for c in calls if c["account"] == ACCOUNT1])
        self.assertTrue([c for c in calls if c["account"] == ACCOUNT2])
        for call in calls:
            allowed = {ACCOUNT1: endpoint_policy, ACCOUNT2: agent_policy}.get(call["account"])
            self.assertIsNotNone(allowed, call)
            names = self.UNNAMED.get((call["service"], call["action"]), (call["action"],))
            self.assertTrue(any("%s:%s" % (call["service"], name) in allowed for name in names),
                            "%s:%s called by account %s (%s) is not in its IAM policy"
                            % (call["service"], call["action"], call["account"], call["region"]))

    def zones_of(self, vpc, region, key):
        route53 = self.client("route53", key=key)
        zones = route53.list_hosted_zones_by_vpc(VPCId=vpc, VPCRegion=region)["HostedZoneSummaries"]
        return sorted(zone["Name"].rstrip(".") for zone in zones)

    def authorizations(self):
        route53 = self.client("route53")
        left = []
        for zone in route53.list_hosted_zones()["HostedZones"]:
            left += route53.list_vpc_association_authorizations(HostedZoneId=zone["Id"])["VPCs"]
        return left

    def test_peering_two_regions_two_accounts(self):
        europe, oregon = self.peering_world()
        # Account 2's VPC also has a secondary block (as EKS pod networks do): admitted and routed too.
        self.client("ec2", "us-west-2", KEY2).associate_vpc_cidr_block(VpcId=oregon, CidrBlock="100.64.0.0/16")
        self.forget_calls()
        plan = self.expect(self.provision("plan"), 0, "create peering %s (us-east-1) -> %s (eu-west-1)" % (self.vpc, europe),
                           "create peering %s (us-east-1) -> %s (us-west-2, account %s)" % (self.vpc, oregon, ACCOUNT2),
                           "accept the peering in %s (us-west-2, profile agents)" % oregon,
                           "add route 10.3.0.0/16 -> the new peering", "add route 10.1.0.0/16 -> the new peering",
                           "create private zone metrics.agent.datadoghq.com",
                           "create private zone agent-http-intake.logs.datadoghq.com",
                           "authorize %s (us-west-2, account %s)" % (oregon, ACCOUNT2),
                           "associate %s (us-west-2) with metrics.agent.datadoghq.com" % oregon,
                           "associate %s (eu-west-1) with agent-http-intake.logs.datadoghq.com" % europe,
                           "private DNS off")
        self.assert_no_problem(plan)
        kinds = [a["kind"] for a in json.loads(self.expect(self.provision("plan", "-o", "json"), 0).stdout)["actions"]]
        for kind, count in (("create-peering", 2), ("accept-peering", 2), ("create-route", 5), ("create-zone", 2),
                            ("upsert-alias", 2), ("authorize-association", 2), ("associate-zone", 4),
                            ("delete-authorization", 2), ("create-endpoint", 2)):
            self.assertEqual(kinds.count(kind), count, (kind, kinds))

        self.expect(self.provision("apply", "--yes", *POLL), 0, "endpoint(s) available")
        self.expect(self.provision("apply", "--yes", *POLL), 0, "apply: nothing to change", "0 to create")
        self.assertEqual(json.loads(self.expect(self.provision("plan", "-o", "json"), 0).stdout)["actions"], [])
        verify = self.expect(self.provision("verify"), 0, "peering %s <-> %s is active" % (self.vpc, europe),
                             "peering %s <-> %s is active" % (self.vpc, oregon),
                             "routes 10.3.0.0/16 over pcx-", "routes 10.1.0.0/16 over pcx-",
                             "routes 10.2.0.0/16 over pcx-", "routes 100.64.0.0/16 over pcx-",
                             "admits tcp/443 from 100.64.0.0/16",
                             "metrics.agent.datadoghq.com is associated with %s (us-west-2)" % oregon,
                             "agent-http-intake.logs.datadoghq.com is associated with %s (eu-west-1)" % europe,
                             " 0 failed")
        self.assertNotIn("FAIL", verify.stdout)
        calls = self.fake.calls()  # the binary's; the checks below are the test's own

        # Account 2's own view, with a real AWS client.
        peerings = self.client("ec2", "us-west-2", KEY2).describe_vpc_peering_connections()["VpcPeeringConnections"]
        ours = [p for p in peerings if p["AccepterVpcInfo"]["VpcId"] == oregon]
        self.assertEqual([p["Status"]["Code"] for p in ours], ["active"], peerings)
        self.assertEqual(ours[0]["RequesterVpcInfo"]["VpcId"], self.vpc)
        zones = ["agent-http-intake.logs.datadoghq.com", "metrics.agent.datadoghq.com"]
        self.assertEqual(self.zones_of(oregon, "us-west-2", KEY2), zones)
        self.assertEqual(self.zones_of(europe, "eu-west-1", KEY), zones)
        self.assertEqual(self.zones_of(self.vpc, "us-east-1", KEY), zones)
        self.assertEqual(self.authorizations(), [])  # used and deleted
        self.forget_calls()

        destroyed = self.expect(self.provision("destroy", "--yes", *POLL), 0, "resource(s) deleted")
        self.assertNotIn("FAIL", destroyed.stdout)
        self.expect(self.provision("verify"), 1, "FAIL")
        self.expect(self.provision("destroy", "--yes", *POLL), 0, "nothing to do")
        calls += self.fake.calls()
        self.assert_calls_allowed_by_iam_policies(calls)
        self.assertEqual(self.zones_of(oregon, "us-west-2", KEY2), [])
        live = [p["Status"]["Code"] for p in self.client("ec2").describe_vpc_peering_connections()
                ["VpcPeeringConnections"] if p["Status"]["Code"] not in ("deleted", "deleting")]
        self.assertEqual(live, [])

    def peering_routes_in(self, vpc, region, key):
        """(destination, peering id) of every route over a peering in the VPC's route tables."""
        tables = self.client("ec2", region, key).describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
        return sorted((r.get("DestinationCidrBlock"), r["VpcPeeringConnectionId"])
                      for t in tables for r in t["Routes"] if r.get("VpcPeeringConnectionId"))

    def test_destroy_after_an_agent_vpc_of_another_account_left_the_config(self):
        europe, oregon = self.peering_world()
        second, _ = self.make_vpc("us-west-2", "10.4.0.0/16", key=KEY2)
        with open(self.file) as f:
            config = json.load(f)
        config["agent_vpcs"].append({"region": "us-west-2", "vpc_id": second, "profile": "agents"})
        self.write(config)
        self.expect(self.provision("apply", "--yes", *POLL), 0, "endpoint(s) available")
        self.assertEqual(len(self.peering_routes_in(second, "us-west-2", KEY2)), 1)

        # Without any VPC of account 2 in the config, nothing tells destroy how to reach its route
        # tables: it says so and leaves them (the peering itself is the endpoint account's to delete).
        only_europe = dict(config, agent_vpcs=[config["agent_vpcs"][0]])
        self.write(only_europe)
        declined = self.expect(self.provision("destroy"), 4,
                               "leave   routes over pcx-", "in %s (us-west-2, account %s): no profile for that "
                               "account in the config" % (second, ACCOUNT2))
        self.assertIn("in %s (us-west-2, account %s): no profile" % (oregon, ACCOUNT2), declined.stdout)

        second_table = self.client("ec2", "us-west-2", KEY2).describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [second]}])["RouteTables"][0]["RouteTableId"]
        # A configured VPC of account 2 without any peering (never applied) tells its account through
        # DescribeVpcs, and its profile then reaches both removed VPCs.
        unpeered, _ = self.make_vpc("us-west-2", "10.5.0.0/16", key=KEY2)
        self.write(dict(config, agent_vpcs=[config["agent_vpcs"][0],
                                            {"region": "us-west-2", "vpc_id": unpeered, "profile": "agents"}]))
        through_unpeered = self.expect(self.provision("destroy"), 4, " in %s\n" % second_table)
        self.assertNotIn("no profile", through_unpeered.stdout)

        # With account 2's other VPC still configured, its profile reaches the removed one too.
        config["agent_vpcs"] = [a for a in config["agent_vpcs"] if a["vpc_id"] != second]
        self.write(config)
        planned = self.expect(self.provision("destroy"), 4, "delete  route 10.1.0.0/16 -> pcx-")
        self.assertIn(" in %s\n" % second_table, planned.stdout)
        self.assertNotIn("no profile", planned.stdout)
        # A profile that cannot read them (here: refused) is reported too, not skipped silently. The
        # configured VPC of account 2 is read first, the removed one second.
        self.fake.configure({"failures": [{"action": "DescribeRouteTables", "account": ACCOUNT2, "nth": 2,
                                           "status": 403, "code": "UnauthorizedOperation",
                                           "message": "injected: not allowed"}]})
        refused = self.expect(self.provision("destroy"), 4, "in %s (us-west-2, account %s): reading its route "
                              "tables with profile agents failed (" % (second, ACCOUNT2), "injected: not allowed")
        self.assertNotIn(" in %s\n" % second_table, refused.stdout)
        self.fake.configure({"failures": []})
        self.forget_calls()
        self.expect(self.provision("destroy", "--yes", *POLL), 0, "resource(s) deleted")
        self.assertEqual(self.peering_routes_in(second, "us-west-2", KEY2), [])
        self.assertEqual(self.peering_routes_in(oregon, "us-west-2", KEY2), [])
        self.assert_calls_allowed_by_iam_policies(self.fake.calls())

    def test_peering_apply_fails_at_the_other_accounts_association_then_resumes(self):
        europe, oregon = self.peering_world()
        self.fake.configure({"failures": [{"action": "AssociateVPCWithHostedZone", "account": ACCOUNT2,
                                           "when": "before", "code": "InvalidInput", "status": 400,
                                           "message": "injected: association refused"}]})
        failed = self.expect(self.provision("apply", "--yes", *POLL), 3, "change(s) made before the failure:",
                             "  done  create peering", "  done  accept the peering in %s" % oregon,
                             "  done  create private zone",
                             "  done  authorize %s (us-west-2, account %s)" % (oregon, ACCOUNT2),
                             "apply: run `provision apply` again to resume", "InvalidInput",
                             "injected: association refused", stream="stderr")
        self.assertNotIn("  done  associate %s" % oregon, failed.stderr)
        self.assertTrue(failed.stderr.strip().splitlines()[-1].startswith("provision: "), failed.stderr)
        self.assertIn("associate %s (us-west-2)" % oregon, failed.stderr.strip().splitlines()[-1])
        self.assertNotEqual(self.authorizations(), [])  # the authorization made before the failure is still there
        left = self.expect(self.provision("plan"), 0, "associate %s (us-west-2)" % oregon,
                           "delete the used authorization of %s" % oregon)
        self.assertNotIn("create  create peering", left.stdout)
        self.assertNotIn("create  authorize %s" % oregon, left.stdout.split("associate %s" % oregon)[0])
        self.expect(self.provision("apply", "--yes", *POLL), 0, "change(s) made")
        self.expect(self.provision("verify"), 0, " 0 failed")
        self.expect(self.provision("plan"), 0, "0 to create")
        self.assertEqual(self.authorizations(), [])
        self.assertEqual(self.zones_of(oregon, "us-west-2", KEY2),
                         ["agent-http-intake.logs.datadoghq.com", "metrics.agent.datadoghq.com"])
        peerings = self.client("ec2").describe_vpc_peering_connections()["VpcPeeringConnections"]
        self.assertEqual(sorted(p["AccepterVpcInfo"]["VpcId"] for p in peerings), sorted([europe, oregon]))  # none twice
        self.assertEqual({p["Status"]["Code"] for p in peerings}, {"active"})

    # ------------------------------------------------------------ cross-region

    def test_cross_region_endpoints_in_the_agent_vpc(self):
        europe, subnets = self.make_vpc("eu-west-1", "10.2.0.0/16", ("eu-west-1a",))
        self.write({"site": "US1", "mode": "cross-region", "services": ["metrics", "logs"],
                    "agent_vpcs": [{"region": "eu-west-1", "vpc_id": europe, "subnet_ids": subnets}]})
        self.expect(self.provision("plan"), 0, "from us-east-1", "in %s" % subnets[0], "private DNS on")
        self.expect(self.provision("apply", "--yes", *POLL), 0, "2 endpoint(s) available")
        self.expect(self.provision("verify"), 0, "endpoint for metrics in %s is available" % europe, " 0 failed")
        self.expect(self.provision("plan"), 0, "0 to create")
        endpoints = self.client("ec2", "eu-west-1").describe_vpc_endpoints(
            Filters=[{"Name": "vpc-id", "Values": [europe]}])["VpcEndpoints"]
        self.assertEqual(sorted(e["ServiceName"] for e in endpoints),
                         ["com.amazonaws.vpce.us-east-1.vpce-svc-025a56b9187ac1f63",
                          "com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8"])
        for endpoint in endpoints:
            self.assertEqual(endpoint.get("ServiceRegion"), "us-east-1", endpoint)
            self.assertTrue(endpoint["PrivateDnsEnabled"], endpoint)
            self.assertEqual(endpoint["SubnetIds"], subnets)
            self.assertTrue(all(".eu-west-1.vpce.amazonaws.com" in entry["DnsName"]
                                for entry in endpoint["DnsEntries"][:2]), endpoint["DnsEntries"])
        home = self.client("ec2").describe_vpc_endpoints()["VpcEndpoints"]
        self.assertEqual(home, [])  # nothing in the service's own region
        self.expect(self.provision("destroy", "--yes", *POLL), 0, "resource(s) deleted")
        self.expect(self.provision("verify"), 1, "FAIL")

    def test_agent_vpc_region_from_the_flag_or_the_environment(self):
        """An Agent VPC without a region takes --region, else AWS_REGION (here us-east-1, where
        that VPC does not exist: the plan says so)."""
        europe, subnets = self.make_vpc("eu-west-1", "10.2.0.0/16", ("eu-west-1a",))
        self.write({"site": "US1", "mode": "cross-region", "services": ["metrics"],
                    "agent_vpcs": [{"vpc_id": europe, "subnet_ids": subnets}]})
        self.expect(self.provision("plan", "--region", "eu-west-1"), 0, "from us-east-1", "3 to create")
        self.expect(self.provision("plan"), 1, "%s does not exist in us-east-1" % europe)
        env = {key: value for key, value in self.env.items() if key not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
        self.expect(self.provision("plan", env=env), 2, "agent_vpcs[0].region: is not given and no AWS region",
                    stream="stderr")


if __name__ == "__main__":
    unittest.main()
