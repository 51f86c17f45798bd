"""Drive the fake with the real `aws` CLI (and a few raw signed requests for the wire shapes).

    python3 -m unittest tests/support/aws_fake/test_aws_fake.py -v     (from the repo root)
    python3 tests/support/aws_fake/test_aws_fake.py -v

Needs moto, botocore and the `aws` CLI (awscli 1.45 / botocore 1.43: --service-region) on PATH.
Everything listens on and talks to 127.0.0.1 only.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from aws_fake import AwsFake  # noqa: E402

ACCOUNT_A, ACCOUNT_B = "111111111111", "222222222222"
KEY_A, KEY_B = "AKIAFAKEACCOUNTA0001", "AKIAFAKEACCOUNTB0002"
METRICS_US1 = "com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8"
API_AP1 = "com.amazonaws.vpce.ap-northeast-1.vpce-svc-008cd79a7a09e0a1e"
BEIGE_AP2 = "com.amazonaws.vpce.ap-southeast-2.vpce-svc-06a30d6a016b746ff"
ORCHID_UK1 = "com.amazonaws.vpce.eu-west-2.vpce-svc-05399db7fb3b28c77"


class CliError(Exception):
    def __init__(self, code, stderr):
        super().__init__(stderr)
        self.code, self.stderr = code, stderr


class AwsFakeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("aws") is None:
            raise unittest.SkipTest("aws CLI not installed")
        cls.fake = AwsFake("127.0.0.1", 0, {"accounts": {KEY_A: ACCOUNT_A, KEY_B: ACCOUNT_B}}).start()
        cls.tmp = tempfile.mkdtemp(prefix="aws-fake-test-")

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.control("POST", "/fake-api/reset")

    # ------------------------------------------------------------ helpers
    def control(self, method, path, obj=None):
        data = json.dumps(obj).encode() if obj is not None else (b"" if method == "POST" else None)
        req = urllib.request.Request(self.fake.url + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def aws(self, *args, key=KEY_A, region="us-east-1", attempts=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": os.path.join(self.tmp, "none"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.tmp, "none"),
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_RETRY_MODE": "standard",
            "AWS_MAX_ATTEMPTS": str(attempts or 3), "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
        })
        cmd = ["aws", "--endpoint-url", self.fake.url, "--output", "json", *args]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            m = re.search(r"An error occurred \(([^)]+)\)", proc.stderr)
            raise CliError(m.group(1) if m else None, proc.stderr)
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    def assertAwsError(self, code, *args, **kw):
        with self.assertRaises(CliError) as ctx:
            self.aws(*args, **kw)
        self.assertEqual(ctx.exception.code, code, ctx.exception.stderr)
        return ctx.exception

    def make_vpc(self, cidr, key=KEY_A, region="us-east-1", dns=True, subnets=2):
        vpc = self.aws("ec2", "create-vpc", "--cidr-block", cidr, key=key, region=region)["Vpc"]["VpcId"]
        if dns:
            for flag in ("--enable-dns-support", "--enable-dns-hostnames"):
                self.aws("ec2", "modify-vpc-attribute", "--vpc-id", vpc, flag, key=key, region=region)
        net = cidr.split(".")
        subnet_ids = []
        for i, az in enumerate(["a", "b", "c"][:subnets]):
            sub = self.aws("ec2", "create-subnet", "--vpc-id", vpc, "--availability-zone", region + az,
                           "--cidr-block", f"{net[0]}.{net[1]}.{i}.0/24", key=key, region=region)
            subnet_ids.append(sub["Subnet"]["SubnetId"])
        return vpc, subnet_ids

    # --------------------------------------------------------- endpoint services
    def test_endpoint_services_per_site_and_region(self):
        cases = [(METRICS_US1, "us-east-1", "metrics.agent.datadoghq.com"),
                 (API_AP1, "ap-northeast-1", "api.ap1.datadoghq.com"),
                 (BEIGE_AP2, "ap-southeast-2", "beige.intake.ap2.datadoghq.com"),
                 (ORCHID_UK1, "eu-west-2", "orchid.intake.uk1.datadoghq.com")]
        for name, region, dns in cases:
            out = self.aws("ec2", "describe-vpc-endpoint-services", "--service-names", name, region=region)
            detail = out["ServiceDetails"][0]
            self.assertEqual(out["ServiceNames"], [name])
            self.assertEqual(detail["PrivateDnsName"], dns)
            self.assertEqual(detail["ServiceRegion"], region)
            self.assertEqual(detail["ServiceType"], [{"ServiceType": "Interface"}])
            self.assertEqual(detail["PrivateDnsNameVerificationState"], "verified")
        # asked in the wrong region -> InvalidServiceName
        self.assertAwsError("InvalidServiceName", "ec2", "describe-vpc-endpoint-services",
                            "--service-names", METRICS_US1, region="eu-west-1")
        # cross-region: allowed for a listed consumer region, not for others / not for UK1
        out = self.aws("ec2", "describe-vpc-endpoint-services", "--service-names", METRICS_US1,
                       "--service-regions", "us-east-1", region="eu-west-1")
        self.assertEqual(out["ServiceDetails"][0]["ServiceRegion"], "us-east-1")
        self.assertAwsError("InvalidServiceName", "ec2", "describe-vpc-endpoint-services",
                            "--service-names", METRICS_US1, "--service-regions", "us-east-1",
                            region="sa-east-1")
        self.assertAwsError("InvalidServiceName", "ec2", "describe-vpc-endpoint-services",
                            "--service-names", ORCHID_UK1, "--service-regions", "eu-west-2",
                            region="eu-west-1")

    # ------------------------------------------------------------ endpoints
    def test_endpoint_pending_then_available_with_aws_dns_entries(self):
        vpc, subnets = self.make_vpc("10.1.0.0/16")
        sg = self.aws("ec2", "create-security-group", "--group-name", "dd", "--description", "dd",
                      "--vpc-id", vpc)["GroupId"]
        args = ["ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface", "--vpc-id", vpc,
                "--service-name", METRICS_US1, "--subnet-ids", *subnets, "--security-group-ids", sg,
                "--no-private-dns-enabled", "--client-token", "tok-1"]
        ep = self.aws(*args)["VpcEndpoint"]
        self.assertEqual(ep["State"], "pending")
        self.assertFalse(ep["PrivateDnsEnabled"])
        entries = ep["DnsEntries"]
        self.assertEqual(len(entries), 3)  # regional + one per AZ
        vid = ep["VpcEndpointId"]
        self.assertRegex(entries[0]["DnsName"], r"^" + vid + r"-[a-z0-9]{8}\.vpce-svc-09a8006e245d1e7b8"
                         r"\.us-east-1\.vpce\.amazonaws\.com$")
        self.assertRegex(entries[1]["DnsName"], r"-us-east-1a\.vpce-svc-09a8006e245d1e7b8\.")
        self.assertTrue(all(e["HostedZoneId"] == "Z7HUB22UULQXV" for e in entries))
        # same client token, same parameters: the same endpoint; different parameters: mismatch
        self.assertEqual(self.aws(*args)["VpcEndpoint"]["VpcEndpointId"], vid)
        self.assertAwsError("IdempotentParameterMismatch", *args[:-4], "--client-token", "tok-1")
        states = []
        for _ in range(3):
            out = self.aws("ec2", "describe-vpc-endpoints", "--filters", f"Name=vpc-id,Values={vpc}",
                           f"Name=service-name,Values={METRICS_US1}")
            self.assertEqual(len(out["VpcEndpoints"]), 1)
            states.append(out["VpcEndpoints"][0]["State"])
        self.assertEqual(states, ["pending", "pending", "available"])
        out = self.aws("ec2", "describe-vpc-endpoints", "--filters", "Name=vpc-id,Values=vpc-0nothing")
        self.assertEqual(out["VpcEndpoints"], [])
        # one subnet per AZ
        vpc2, subs2 = self.make_vpc("10.2.0.0/16", subnets=1)
        extra = self.aws("ec2", "create-subnet", "--vpc-id", vpc2, "--availability-zone", "us-east-1a",
                         "--cidr-block", "10.2.9.0/24")["Subnet"]["SubnetId"]
        self.assertAwsError("DuplicateSubnetsInSameZone", "ec2", "create-vpc-endpoint",
                            "--vpc-endpoint-type", "Interface", "--vpc-id", vpc2, "--service-name",
                            METRICS_US1, "--subnet-ids", subs2[0], extra, "--no-private-dns-enabled")
        self.aws("ec2", "delete-vpc-endpoints", "--vpc-endpoint-ids", vid)

    def test_private_dns_needs_vpc_dns_attributes(self):
        vpc, subnets = self.make_vpc("10.3.0.0/16", dns=False, subnets=1)
        create = ["ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface", "--vpc-id", vpc,
                  "--service-name", METRICS_US1, "--subnet-ids", subnets[0]]
        self.assertAwsError("InvalidParameter", *create, "--private-dns-enabled")
        # the same rule when an endpoint made without private DNS turns it on later
        vid = self.aws(*create, "--no-private-dns-enabled")["VpcEndpoint"]["VpcEndpointId"]
        self.assertAwsError("InvalidParameter", "ec2", "modify-vpc-endpoint", "--vpc-endpoint-id",
                            vid, "--private-dns-enabled")

    def test_modify_endpoint_subnets_groups_and_private_dns(self):
        vpc, subnets = self.make_vpc("10.7.0.0/16", subnets=3)
        second_in_a = self.aws("ec2", "create-subnet", "--vpc-id", vpc, "--availability-zone",
                               "us-east-1a", "--cidr-block", "10.7.9.0/24")["Subnet"]["SubnetId"]
        old_sg, new_sg = (self.aws("ec2", "create-security-group", "--group-name", name,
                                   "--description", name, "--vpc-id", vpc)["GroupId"]
                          for name in ("dd-old", "dd-new"))
        ep = self.aws("ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface", "--vpc-id", vpc,
                      "--service-name", METRICS_US1, "--subnet-ids", subnets[0],
                      "--security-group-ids", old_sg, "--no-private-dns-enabled")["VpcEndpoint"]
        vid, regional = ep["VpcEndpointId"], ep["DnsEntries"][0]

        def described():
            return self.aws("ec2", "describe-vpc-endpoints", "--vpc-endpoint-ids", vid)["VpcEndpoints"][0]

        out = self.aws("ec2", "modify-vpc-endpoint", "--vpc-endpoint-id", vid,
                       "--add-subnet-ids", subnets[1], subnets[2], "--remove-subnet-ids", subnets[0],
                       "--add-security-group-ids", new_sg, "--remove-security-group-ids", old_sg,
                       "--private-dns-enabled")
        self.assertEqual(out, {"Return": True})
        got = described()
        self.assertEqual(got["SubnetIds"], subnets[1:])
        self.assertEqual([g["GroupId"] for g in got["Groups"]], [new_sg])
        self.assertTrue(got["PrivateDnsEnabled"])
        names = [e["DnsName"] for e in got["DnsEntries"]]
        self.assertEqual(got["DnsEntries"][0], regional)  # the alias target does not move
        self.assertRegex(names[1], r"-us-east-1b\.vpce-svc-09a8006e245d1e7b8\.")
        self.assertRegex(names[2], r"-us-east-1c\.vpce-svc-09a8006e245d1e7b8\.")
        self.assertEqual(names[3:], ["metrics.agent.datadoghq.com"])
        self.aws("ec2", "modify-vpc-endpoint", "--vpc-endpoint-id", vid, "--no-private-dns-enabled")
        got = described()
        self.assertFalse(got["PrivateDnsEnabled"])
        self.assertEqual([e["DnsName"] for e in got["DnsEntries"]], names[:3])

        # refused changes leave the endpoint as it was
        modify = ["ec2", "modify-vpc-endpoint", "--vpc-endpoint-id", vid]
        self.assertAwsError("DuplicateSubnetsInSameZone", *modify,
                            "--add-subnet-ids", subnets[0], second_in_a)
        self.assertAwsError("InvalidSecurityGroupID.NotFound", *modify,
                            "--add-security-group-ids", "sg-0000000000000000f")
        self.assertEqual(described()["SubnetIds"], subnets[1:])
        self.assertAwsError("InvalidVpcEndpointId.NotFound", "ec2", "modify-vpc-endpoint",
                            "--vpc-endpoint-id", "vpce-0000000000000000f", "--remove-subnet-ids",
                            subnets[1])
        # the exact answer, as AWS sends it
        body = urllib.parse.urlencode({"Action": "ModifyVpcEndpoint", "Version": "2016-11-15",
                                       "VpcEndpointId": vid, "RemoveSecurityGroupId.1": old_sg})
        status, text = self.signed("ec2", "POST", "/", body.encode(),
                                   ctype="application/x-www-form-urlencoded; charset=utf-8")
        self.assertEqual(status, 200)
        self.assertRegex(text, r'<ModifyVpcEndpointResponse xmlns="http://ec2\.amazonaws\.com/doc/'
                               r'2016-11-15/"><requestId>[0-9a-f-]{36}</requestId><return>true</return>'
                               r"</ModifyVpcEndpointResponse>")

    def test_cross_region_endpoint(self):
        vpc, subnets = self.make_vpc("10.4.0.0/16", region="eu-west-1", subnets=1)
        ep = self.aws("ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface", "--vpc-id", vpc,
                      "--service-name", METRICS_US1, "--service-region", "us-east-1",
                      "--subnet-ids", subnets[0], "--private-dns-enabled", region="eu-west-1")["VpcEndpoint"]
        self.assertEqual(ep["ServiceRegion"], "us-east-1")
        self.assertRegex(ep["DnsEntries"][0]["DnsName"], r"\.vpce-svc-09a8006e245d1e7b8\.eu-west-1\.vpce\.amazonaws\.com$")
        self.assertNotEqual(ep["DnsEntries"][0]["HostedZoneId"], "Z7HUB22UULQXV")  # eu-west-1's own zone
        self.assertEqual(ep["DnsEntries"][-1]["DnsName"], "metrics.agent.datadoghq.com")
        # without ServiceRegion the US1 service does not exist in eu-west-1
        self.assertAwsError("InvalidServiceName", "ec2", "create-vpc-endpoint", "--vpc-endpoint-type",
                            "Interface", "--vpc-id", vpc, "--service-name", METRICS_US1,
                            "--subnet-ids", subnets[0], region="eu-west-1")
        # UK1 offers no cross-region
        self.assertAwsError("InvalidServiceName", "ec2", "create-vpc-endpoint", "--vpc-endpoint-type",
                            "Interface", "--vpc-id", vpc, "--service-name", ORCHID_UK1,
                            "--service-region", "eu-west-2", "--subnet-ids", subnets[0],
                            region="eu-west-1")

    # ------------------------------------------------------------ Route 53
    def test_cross_account_zone_association(self):
        vpc_a, _ = self.make_vpc("10.10.0.0/16", key=KEY_A, subnets=0)
        vpc_b, _ = self.make_vpc("10.20.0.0/16", key=KEY_B, region="eu-west-1", subnets=0)
        zone_args = ["route53", "create-hosted-zone", "--name", "metrics.agent.datadoghq.com",
                     "--vpc", f"VPCRegion=us-east-1,VPCId={vpc_a}",
                     "--hosted-zone-config", "Comment=dd,PrivateZone=true"]
        created = self.aws(*zone_args, "--caller-reference", "ref-1")
        zone = created["HostedZone"]["Id"].split("/")[-1]
        change = created["ChangeInfo"]["Id"]
        self.assertEqual(created["ChangeInfo"]["Status"], "PENDING")
        statuses = [self.aws("route53", "get-change", "--id", change)["ChangeInfo"]["Status"] for _ in range(2)]
        self.assertEqual(statuses, ["PENDING", "INSYNC"])
        self.assertAwsError("NoSuchChange", "route53", "get-change", "--id", "CNOSUCHCHANGE")
        # same CallerReference -> HostedZoneAlreadyExists; same name on the same VPC -> conflict
        self.assertAwsError("HostedZoneAlreadyExists", *zone_args, "--caller-reference", "ref-1")
        self.assertAwsError("ConflictingDomainExists", *zone_args, "--caller-reference", "ref-2")
        # an unknown VPC is rejected
        self.assertAwsError("InvalidVPCId", "route53", "create-hosted-zone", "--name", "x.example",
                            "--vpc", "VPCRegion=us-east-1,VPCId=vpc-0000000000000000f",
                            "--caller-reference", "ref-3")

        vpc_arg = f"VPCRegion=eu-west-1,VPCId={vpc_b}"
        assoc = ["route53", "associate-vpc-with-hosted-zone", "--hosted-zone-id", zone, "--vpc", vpc_arg]
        self.assertAwsError("NotAuthorizedException", *assoc, key=KEY_B)
        auth = self.aws("route53", "create-vpc-association-authorization", "--hosted-zone-id", zone,
                        "--vpc", vpc_arg)
        self.assertEqual(auth, {"HostedZoneId": zone, "VPC": {"VPCRegion": "eu-west-1", "VPCId": vpc_b}})
        listed = self.aws("route53", "list-vpc-association-authorizations", "--hosted-zone-id", zone)
        self.assertEqual(listed["VPCs"], [{"VPCRegion": "eu-west-1", "VPCId": vpc_b}])
        # only the zone owner sees or changes authorizations
        self.assertAwsError("NoSuchHostedZone", "route53", "list-vpc-association-authorizations",
                            "--hosted-zone-id", zone, key=KEY_B)
        out = self.aws(*assoc, key=KEY_B)
        self.assertEqual(out["ChangeInfo"]["Status"], "PENDING")
        self.assertAwsError("ConflictingDomainExists", *assoc, key=KEY_B)
        by_vpc = self.aws("route53", "list-hosted-zones-by-vpc", "--vpc-id", vpc_b,
                          "--vpc-region", "eu-west-1", key=KEY_B)["HostedZoneSummaries"]
        self.assertEqual([(z["HostedZoneId"], z["Owner"]["OwningAccount"]) for z in by_vpc],
                         [(zone, ACCOUNT_A)])
        # delete the authorization: the association stays; a second delete is NotFound
        self.aws("route53", "delete-vpc-association-authorization", "--hosted-zone-id", zone,
                 "--vpc", vpc_arg)
        self.assertEqual(self.aws("route53", "list-vpc-association-authorizations",
                                  "--hosted-zone-id", zone)["VPCs"], [])
        self.assertAwsError("VPCAssociationAuthorizationNotFound", "route53",
                            "delete-vpc-association-authorization", "--hosted-zone-id", zone,
                            "--vpc", vpc_arg)
        vpcs = self.aws("route53", "get-hosted-zone", "--id", zone)["VPCs"]
        self.assertEqual(len(vpcs), 2)
        # VPC owner disassociates; the owner cannot remove the last VPC
        self.aws("route53", "disassociate-vpc-from-hosted-zone", "--hosted-zone-id", zone,
                 "--vpc", vpc_arg, key=KEY_B)
        self.assertAwsError("LastVPCAssociation", "route53", "disassociate-vpc-from-hosted-zone",
                            "--hosted-zone-id", zone, "--vpc", f"VPCRegion=us-east-1,VPCId={vpc_a}")
        # alias record to an endpoint, then delete (moto underneath)
        self.aws("route53", "change-resource-record-sets", "--hosted-zone-id", zone, "--change-batch",
                 json.dumps({"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
                     "Name": "metrics.agent.datadoghq.com", "Type": "A", "AliasTarget": {
                         "HostedZoneId": "Z7HUB22UULQXV", "EvaluateTargetHealth": False,
                         "DNSName": "vpce-0abc-12345678.vpce-svc-09a8006e245d1e7b8.us-east-1.vpce.amazonaws.com"}}}]}))
        self.assertAwsError("HostedZoneNotEmpty", "route53", "delete-hosted-zone", "--id", zone)

    # -------------------------------------------------------------- peering
    def test_inter_region_cross_account_peering(self):
        vpc_a, _ = self.make_vpc("10.30.0.0/16", key=KEY_A, subnets=0)
        vpc_b, _ = self.make_vpc("10.40.0.0/16", key=KEY_B, region="eu-west-1", subnets=0)
        create = ["ec2", "create-vpc-peering-connection", "--vpc-id", vpc_a, "--peer-vpc-id", vpc_b,
                  "--peer-owner-id", ACCOUNT_B, "--peer-region", "eu-west-1"]
        pcx = self.aws(*create)["VpcPeeringConnection"]
        self.assertEqual(pcx["Status"]["Code"], "initiating-request")
        pcx_id = pcx["VpcPeeringConnectionId"]
        describe = ["ec2", "describe-vpc-peering-connections", "--filters",
                    f"Name=requester-vpc-info.vpc-id,Values={vpc_a}",
                    f"Name=accepter-vpc-info.vpc-id,Values={vpc_b}"]
        codes = [self.aws(*describe, key=KEY_B, region="eu-west-1")["VpcPeeringConnections"][0]["Status"]["Code"]
                 for _ in range(2)]
        self.assertEqual(codes, ["initiating-request", "pending-acceptance"])
        self.assertAwsError("VpcPeeringConnectionAlreadyExists", *create)
        acc = self.aws("ec2", "accept-vpc-peering-connection", "--vpc-peering-connection-id", pcx_id,
                       key=KEY_B, region="eu-west-1")["VpcPeeringConnection"]
        self.assertEqual(acc["Status"]["Code"], "active")
        active = self.aws("ec2", "describe-vpc-peering-connections", "--filters",
                          "Name=status-code,Values=active")["VpcPeeringConnections"]
        self.assertEqual([p["VpcPeeringConnectionId"] for p in active], [pcx_id])
        self.assertEqual(self.aws("ec2", "describe-vpc-peering-connections", "--filters",
                                  "Name=status-code,Values=pending-acceptance")["VpcPeeringConnections"], [])
        # overlapping CIDRs -> failed
        vpc_c, _ = self.make_vpc("10.30.0.0/16", key=KEY_A, subnets=0)
        failed = self.aws("ec2", "create-vpc-peering-connection", "--vpc-id", vpc_c, "--peer-vpc-id",
                          vpc_a)["VpcPeeringConnection"]
        got = self.aws("ec2", "describe-vpc-peering-connections", "--vpc-peering-connection-ids",
                       failed["VpcPeeringConnectionId"])["VpcPeeringConnections"][0]
        self.assertEqual(got["Status"]["Code"], "failed")

    # ------------------------------------------------------- injections
    def test_throttling_cli_retries(self):
        self.control("POST", "/fake-api/config", {"throttle": {"ec2": {"every": 2},
                                                               "route53": {"every": 2}}})
        self.aws("ec2", "describe-vpcs")           # call 1 ok
        self.aws("ec2", "describe-vpcs")           # call 2 throttled, retry (3) ok
        self.aws("route53", "list-hosted-zones")   # route53 call 1 ok
        self.aws("route53", "list-hosted-zones")   # call 2 Throttling, retry ok
        calls = [(c["action"], c["code"], c["status"]) for c in self.control("GET", "/fake-api/calls")]
        self.assertEqual(calls, [("DescribeVpcs", None, 200),
                                 ("DescribeVpcs", "RequestLimitExceeded", 503),
                                 ("DescribeVpcs", None, 200),
                                 ("ListHostedZones", None, 200),
                                 ("ListHostedZones", "Throttling", 400),
                                 ("ListHostedZones", None, 200)])
        self.control("POST", "/fake-api/config", {"throttle": {"ec2": {"every": 1}}})
        self.assertAwsError("RequestLimitExceeded", "ec2", "describe-vpcs", attempts=2)

    def test_injected_failures_before_and_after(self):
        vpc, subnets = self.make_vpc("10.50.0.0/16", subnets=1)
        self.control("POST", "/fake-api/config", {"failures": [
            {"action": "CreateVpcEndpoint", "nth": 2, "code": "InternalError", "status": 500},
            {"action": "CreateVpcEndpoint", "nth": 3, "code": "ServiceUnavailable", "status": 503,
             "when": "after", "message": "the endpoint was created, the answer was lost"},
        ]})
        create = ["ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface", "--vpc-id", vpc,
                  "--service-name", METRICS_US1, "--subnet-ids", subnets[0], "--no-private-dns-enabled"]
        self.aws(*create, attempts=1)                                  # 1st: ok
        self.assertAwsError("InternalError", *create, attempts=1)     # 2nd: fails, nothing made
        self.assertAwsError("ServiceUnavailable", *create, attempts=1)  # 3rd: made, then error
        self.aws(*create, attempts=1)                                  # 4th: ok again
        eps = self.aws("ec2", "describe-vpc-endpoints", "--filters", f"Name=vpc-id,Values={vpc}")
        self.assertEqual(len(eps["VpcEndpoints"]), 3)
        # Route 53 rule, matched by account
        self.control("POST", "/fake-api/config", {"failures": [
            {"action": "ListHostedZones", "nth": 1, "account": ACCOUNT_B, "code": "AccessDenied",
             "status": 403}]})
        self.aws("route53", "list-hosted-zones", key=KEY_A)
        self.assertAwsError("AccessDenied", "route53", "list-hosted-zones", key=KEY_B)

    # --------------------------------------------------------- wire shapes
    def signed(self, service, method, path, body=b"", region="us-east-1", ctype=None):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        headers = {"Content-Type": ctype} if ctype else {}
        req = AWSRequest(method=method, url=self.fake.url + path, data=body, headers=headers)
        SigV4Auth(Credentials(KEY_A, "test"), service, region).add_auth(req)
        raw = urllib.request.Request(self.fake.url + path, data=body or None, method=method,
                                     headers=dict(req.headers.items()))
        try:
            with urllib.request.urlopen(raw, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def test_wire_shapes(self):
        form = "application/x-www-form-urlencoded; charset=utf-8"
        status, text = self.signed("ec2", "POST", "/", b"Action=DescribeVpcs&Version=2016-11-15", ctype=form)
        self.assertEqual(status, 200)
        self.assertIn('<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">', text)
        self.assertRegex(text, r"<requestId>[0-9a-f-]{36}</requestId>")
        body = urllib.parse.urlencode({"Action": "DescribeVpcEndpointServices", "Version": "2016-11-15",
                                       "ServiceName.1": METRICS_US1}).encode()
        status, text = self.signed("ec2", "POST", "/", body, region="ap-northeast-1", ctype=form)
        self.assertEqual(status, 400)
        self.assertRegex(text, r"<Response><Errors><Error><Code>InvalidServiceName</Code><Message>[^<]+"
                               r"</Message></Error></Errors><RequestID>[0-9a-f-]{36}</RequestID></Response>")
        status, text = self.signed("ec2", "POST", "/", b"Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-1",
                                   ctype=form)
        self.assertEqual(status, 400)
        self.assertIn("<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code>", text)
        status, text = self.signed("route53", "GET", "/2013-04-01/hostedzone/ZNOPE/authorizevpcassociation")
        self.assertEqual(status, 404)
        self.assertRegex(text, r'<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
                               r"<Error><Type>Sender</Type><Code>NoSuchHostedZone</Code><Message>[^<]+</Message>"
                               r"</Error><RequestId>[0-9a-f-]{36}</RequestId></ErrorResponse>")
        status, text = self.signed("route53", "GET", "/2013-04-01/hostedzone/ZNOPE")  # from moto
        self.assertEqual(status, 404)
        self.assertNotIn("<message>", text)

    # ---------------------------------------------------------- control API
    def test_control_api_reset_and_config(self):
        vpc, _ = self.make_vpc("10.60.0.0/16", subnets=0)
        self.control("POST", "/fake-api/config", {"endpoint_pending_describes": 0})
        self.assertEqual(self.control("GET", "/fake-api/config")["endpoint_pending_describes"], 0)
        self.control("POST", "/fake-api/reset")
        self.assertEqual(self.control("GET", "/fake-api/config")["endpoint_pending_describes"], 2)
        self.assertAwsError("InvalidVpcID.NotFound", "ec2", "describe-vpcs", "--vpc-ids", vpc)
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            self.control("POST", "/fake-api/config", {"no_such_key": 1})
        self.assertEqual(ctx.exception.code, 400)


if __name__ == "__main__":
    unittest.main()
