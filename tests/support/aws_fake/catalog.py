"""Datadog's PrivateLink endpoint services, as the fake's DescribeVpcEndpointServices knows them.

Source: ../shared/datadog-privatelink.md sections 1.2 (US1 and AP1 per-service table) and 1.3
("two-level DNS" anchors for US1, AP2 and UK1). Where the docs revisions disagree (section 1.5) both
services are listed, so a test can pick either; real provisioning must ask DescribeVpcEndpointServices.
Anchors are served under the private DNS name <color>.intake.<site>.
"""

SITES = {
    "US1": ("us-east-1", "datadoghq.com"),
    "AP1": ("ap-northeast-1", "ap1.datadoghq.com"),
    "AP2": ("ap-southeast-2", "ap2.datadoghq.com"),
    "UK1": ("eu-west-2", "uk1.datadoghq.com"),
}

# (site, vpce-svc id without the prefix, private DNS name relative to the site; "@color" = anchor)
_ROWS = [
    # US1 direct services (section 1.2 / 1.3 "---" rows)
    ("US1", "025a56b9187ac1f63", "agent-http-intake.logs"),
    ("US1", "0e36256cb6172439d", "http-intake.logs"),
    ("US1", "09a8006e245d1e7b8", "metrics.agent"),
    ("US1", "0ad5fb9e71f85fe99", "orchestrator"),
    ("US1", "0ed1f789ac6b0bde1", "process"),
    ("US1", "022ae36a7b2472029", "intake.profile"),
    ("US1", "0ce70d55ec4af8501", "dbm-metrics-intake"),
    ("US1", "01f21309e507e3b1d", "config"),
    # US1 older revision (regions.config) of API and traces, section 1.5
    ("US1", "064ea718f8d0ead77", "api"),
    ("US1", "0355bb1880dfa09c2", "trace.agent"),
    # US1 anchors (section 1.3)
    ("US1", "07895350fd0109264", "@orchid"),
    ("US1", "0ee865cd1c0a7ba32", "@lime"),
    ("US1", "0b3292e3efce2a445", "@cyan"),
    ("US1", "00192e92115cbcc75", "@brown"),
    ("US1", "0a3b2d86676122d8d", "@gray"),
    ("US1", "02bee2072b5c3c226", "@azure"),
    ("US1", "05e3bfec4501e714d", "@olive"),
    ("US1", "058a75ceea85a9175", "@cornsilk"),
    ("US1", "0b67fd56f90bd3c41", "@orange"),
    # AP1 (section 1.2)
    ("AP1", "03e139d1f2766685b", "agent-http-intake.logs"),
    ("AP1", "08799aabff1cfd8a3", "http-intake.logs"),
    ("AP1", "008cd79a7a09e0a1e", "api"),
    ("AP1", "002d904d5e69340ad", "metrics.agent"),
    ("AP1", "03ffd8d552f0d957d", "orchestrator"),
    ("AP1", "0e86b29a0dc2c8a26", "process"),
    ("AP1", "0d598057ecde10596", "intake.profile"),
    ("AP1", "0a5d94b2e8f6e70fc", "trace.agent"),
    ("AP1", "0cc53180ae06bb977", "dbm-metrics-intake"),
    ("AP1", "00e15ab206f23b98c", "config"),
    # AP2 anchors (section 1.3)
    ("AP2", "06a30d6a016b746ff", "@beige"),
    ("AP2", "0c26ca335d93a68b5", "@bisque"),
    ("AP2", "06460db30a7cfdace", "@gold"),
    ("AP2", "0f3e01f4180b2ae09", "@lime"),
    ("AP2", "031da3ffac78ef902", "@linen"),
    ("AP2", "06ec78b291ce8020a", "@orchid"),
    ("AP2", "01f8f80f4cb97bd10", "@violet"),
    ("AP2", "094469ee7a178f448", "@white"),
    ("AP2", "0d936da0e6a30d3cd", "@cyan"),
    ("AP2", "04c61207a01a73496", "@brown"),
    ("AP2", "01b61a61d21fc7273", "@aqua"),
    ("AP2", "0545109555aa68e7e", "@indigo"),
    ("AP2", "028e4348e80fa73f5", "@plum"),
    ("AP2", "01911394f8bac8056", "@orange"),
    # UK1 anchors (section 1.3)
    ("UK1", "058a9de2dbf6959f9", "@beige"),
    ("UK1", "0fe52c96bfb6c5d0e", "@bisque"),
    ("UK1", "03fb3a3dd752ef336", "@gold"),
    ("UK1", "08989912d1ef253f4", "@lime"),
    ("UK1", "07f22a32140efaae5", "@linen"),
    ("UK1", "05399db7fb3b28c77", "@orchid"),
    ("UK1", "0755097b02a34f9e7", "@violet"),
    ("UK1", "03e170925a2baa029", "@white"),
    ("UK1", "01f4f12969c768c0c", "@cyan"),
    ("UK1", "0d7e1e795a19787c9", "@brown"),
    ("UK1", "0d345b92b8a5e8743", "@cornsilk"),
    ("UK1", "099b74a86151e7f91", "@aqua"),
    ("UK1", "04fbf10021b0308cd", "@plum"),
    ("UK1", "0682567dcbfd55a95", "@orange"),
]

# Regions that may consume a service cross-region (CreateVpcEndpoint ServiceRegion=<host>).
# The fact sheet lists cross-region for US1, AP1 and AP2 but names no consumer regions, so this
# list is a test-world choice (configurable with "cross_region"); UK1 has none.
_CONSUMERS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1",
              "ap-northeast-1", "ap-southeast-1", "ap-southeast-2"]
DEFAULT_CROSS_REGION = {
    "us-east-1": [r for r in _CONSUMERS if r != "us-east-1"],
    "ap-northeast-1": [r for r in _CONSUMERS if r != "ap-northeast-1"],
    "ap-southeast-2": [r for r in _CONSUMERS if r != "ap-southeast-2"],
    "eu-west-2": [],
}

# Route 53 hosted zone of <region>.vpce.amazonaws.com (what DnsEntries[].HostedZoneId carries).
# Only us-east-1's Z7HUB22UULQXV is confirmed from public examples; the others are placeholders
# (distinct per region, AWS-shaped) so that code which hard-codes a zone id fails in tests.
DEFAULT_VPCE_ZONE_IDS = {"us-east-1": "Z7HUB22UULQXV"}

# Fictional owner account of the services (DescribeVpcEndpointServices "owner").
SERVICE_OWNER = "999999999999"


def default_services():
    """List of dicts {name, id, region, private_dns_name, site}."""
    out = []
    for site, svc, rel in _ROWS:
        region, domain = SITES[site]
        dns = f"{rel[1:]}.intake.{domain}" if rel.startswith("@") else f"{rel}.{domain}"
        out.append({"name": f"com.amazonaws.vpce.{region}.vpce-svc-{svc}", "id": f"vpce-svc-{svc}",
                    "region": region, "private_dns_name": dns, "site": site})
    return out


def vpce_zone_id(region, overrides=None):
    if overrides and region in overrides:
        return overrides[region]
    if region in DEFAULT_VPCE_ZONE_IDS:
        return DEFAULT_VPCE_ZONE_IDS[region]
    import hashlib
    digest = hashlib.sha256(("vpce-zone:" + region).encode()).hexdigest().upper()
    alnum = "".join(c for c in digest if c.isalnum())
    return "Z" + alnum[:12]
