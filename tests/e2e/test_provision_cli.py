"""End to end: `privatelink-sidecar provision plan|apply|verify|destroy|iam-policy` (same-region)
with the real binary against the AWS fake (moto + the behaviours moto lacks,
tests/support/aws_fake), which the test starts on loopback. The VPC and
subnets are made with botocore, a real AWS client.

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
KEY = "AKIDPROVISIONE2E"


class ProvisionCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = AwsFake("127.0.0.1", 0, {"accounts": {KEY: "111111111111"}}).start()
        cls.env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY="test-secret-never-printed",
                       AWS_ENDPOINT_URL=cls.fake.url, AWS_REGION="us-east-1")
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_ROUTE_53"):
            cls.env.pop(name, None)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.reset()
        session = botocore.session.get_session()
        ec2 = session.create_client("ec2", region_name="us-east-1", endpoint_url=self.fake.url,
                                    aws_access_key_id=KEY, aws_secret_access_key="x")
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.%d.0/24" % i, AvailabilityZone=zone)["Subnet"]["SubnetId"]
                   for i, zone in enumerate(("us-east-1a", "us-east-1b"))]
        self.dir = tempfile.mkdtemp(prefix="pl-provision-")
        self.file = os.path.join(self.dir, "provision.yaml")
        with open(self.file, "w") as f:
            json.dump({"site": "datadoghq.com", "mode": "same-region", "services": ["metrics", "logs"],
                       "endpoint_vpc": {"region": "us-east-1", "vpc_id": vpc, "subnet_ids": subnets},
                       "agent_vpcs": [{"region": "us-east-1", "vpc_id": vpc}]}, f)

    def provision(self, *args):
        result = subprocess.run([BINARY, "provision", *args, "-f", self.file], capture_output=True, text=True,
                                env=self.env, stdin=subprocess.DEVNULL, timeout=300)
        self.assertNotIn("test-secret-never-printed", result.stdout + result.stderr)
        return result

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
        self.assertIn("0 change(s) made", again.stdout)
        verify = self.provision("verify")
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    def test_destroy_removes_only_tagged_and_is_idempotent(self):
        applied = self.provision("apply", "--yes")
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        session = botocore.session.get_session()
        ec2 = session.create_client("ec2", region_name="us-east-1", endpoint_url=self.fake.url,
                                    aws_access_key_id=KEY, aws_secret_access_key="x")
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
        self.assertTrue(all(a.startswith("ec2:") for a in actions))

    def test_bad_file_names_file_line_and_key(self):
        with open(self.file, "w") as f:
            f.write("site: datadoghq.com\nmode: same-region\nendpoint_vpc: {region: us-east-1, vpcid: vpc-1}\n")
        result = self.provision("plan")
        self.assertEqual(result.returncode, 2)
        self.assertIn("provision.yaml:3:", result.stderr)
        self.assertIn("endpoint_vpc.vpcid: unknown key", result.stderr)


if __name__ == "__main__":
    unittest.main()
