#!/usr/bin/env python3
# Regenerates the botocore golden values in test_sigv4.cpp (BotocoreGolden.*).
# Run with the machine image python3 (botocore 1.43.11 was used). Fake keys only.
import datetime, botocore
from unittest import mock
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
print("botocore", botocore.__version__)
creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEXAMPLETOKEN")
fixed = datetime.datetime(2024, 5, 17, 9, 30, 15)
def sign(req, service, region):
    seen = []
    class Recording(SigV4Auth):
        def canonical_request(self, request):
            text = super().canonical_request(request); seen.append(text); return text
        def string_to_sign(self, request, canonical_request):
            text = super().string_to_sign(request, canonical_request); seen.append(text); return text
    with mock.patch("botocore.auth.get_current_datetime", return_value=fixed):
        Recording(creds, service, region).add_auth(req)
    print("CREQ<<"); print(seen[0]); print(">>"); print("STS<<"); print(seen[1]); print(">>")
    for k, v in req.headers.items(): print(f"{k}: {v}")
    print("URL", req.url)
    print()
body = "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-0abc123"
r = AWSRequest(method="POST", url="https://ec2.eu-west-1.amazonaws.com/", data=body,
               headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
sign(r, "ec2", "eu-west-1")
r = AWSRequest(method="GET", url="https://route53.amazonaws.com/2013-04-01/hostedzone/Z0123456789ABC/rrset",
               params={"type": "A", "name": "api.datadoghq.com.", "maxitems": "1"})
sign(r, "route53", "us-east-1")
# Double encoding of an already-encoded path segment, and query escaping.
r = AWSRequest(method="GET", url="https://route53.amazonaws.com/2013-04-01/x%20y/z~",
               params={"name": "*.a b/c+d=é", "empty": ""})
sign(r, "route53", "us-east-1")
