"""A faithful fake of the EC2 and Route 53 APIs for `provision` tests, layered on moto.

One loopback HTTP listener. Each request is SigV4-signed (signatures are not checked); the
credential scope gives service and region, the access key gives the account (config "accounts").
Requests are served under one global lock, in this order:

  1. /fake-api/* control calls (config, reset, calls log) -- never counted;
  2. throttling injection ("throttle": every Nth call of a service);
  3. failure injection ("failures": the Nth call of an action, before or after it takes effect);
  4. the fake's own handlers for what moto lacks or gets wrong (see README.md);
  5. everything else goes to moto's WSGI app in this process (same state), with the account
     passed as x-moto-account-id; EC2 answers are normalised (namespace, requestId).

See README.md for the config keys and the actions covered.
"""

import copy
import hashlib
import http.server
import io
import ipaddress
import json
import random
import re
import string
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from moto.core.exceptions import ServiceException
from moto.core.exceptions import _RESTError as RESTError
from moto.ec2.models import ec2_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.route53.models import route53_backends

try:  # package import (tests) or script import (python3 tests/support/aws_fake)
    from . import catalog
except ImportError:  # pragma: no cover
    import catalog

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
R53_NS = "https://route53.amazonaws.com/doc/2013-04-01/"
DEFAULT_ACCOUNT = "123456789012"  # moto's default account

DEFAULT_CONFIG = {
    # access key id -> 12-digit account id; unknown keys map to default_account
    "accounts": {},
    "default_account": DEFAULT_ACCOUNT,
    # a new VPC endpoint shows "pending" in its first N DescribeVpcEndpoints answers
    "endpoint_pending_describes": 2,
    # a change is PENDING for the first N GetChange calls, then INSYNC
    "change_pending_gets": 1,
    # an inter-region peering is "initiating-request" for the first N describes, then
    # "pending-acceptance" (same-region peerings are pending-acceptance at once)
    "peering_initiating_describes": 1,
    # {"ec2": {"every": N, "code": "RequestLimitExceeded", "status": 503, "actions": [...]},
    #  "route53": {"every": N, "code": "Throttling", "status": 400}}; every=0 disables
    "throttle": {},
    # [{"action": "CreateVpcEndpoint", "nth": 1, "code": "InternalError", "status": 500,
    #   "message": "...", "when": "before"|"after", "times": 1, "account": .., "region": ..}]
    "failures": [],
    # hosting region -> consumer regions allowed to use ServiceRegion=<hosting region>
    "cross_region": copy.deepcopy(catalog.DEFAULT_CROSS_REGION),
    # region -> hosted zone id of <region>.vpce.amazonaws.com
    "vpce_zone_ids": {},
    # extra endpoint services: [{"name", "region", "private_dns_name"}]
    "extra_services": [],
}

THROTTLE_DEFAULTS = {
    "ec2": {"code": "RequestLimitExceeded", "status": 503, "message": "Request limit exceeded."},
    "route53": {"code": "Throttling", "status": 400, "message": "Rate exceeded"},
}

ACTIVE_PCX = ("initiating-request", "pending-acceptance", "provisioning", "active")


class ApiError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _rand(n, alphabet=string.ascii_lowercase + string.digits):
    return "".join(random.choice(alphabet) for _ in range(n))


def _now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def _bool(value):
    return str(value).lower() == "true"


def _indexed(params, prefix):
    """Values of prefix.1, prefix.2, ... in index order."""
    found = []
    pat = re.compile(re.escape(prefix) + r"\.(\d+)$")
    for key, value in params.items():
        m = pat.match(key)
        if m:
            found.append((int(m.group(1)), value))
    return [v for _, v in sorted(found)]


def _filters(params):
    """EC2 Filter.N.Name / Filter.N.Value.M -> [(name, [values])]."""
    out = []
    for key, name in params.items():
        m = re.match(r"Filter\.(\d+)\.Name$", key)
        if m:
            out.append((int(m.group(1)), name, _indexed(params, f"Filter.{m.group(1)}.Value")))
    return [(n, v) for _, n, v in sorted(out)]


def _strip_ns(elem):
    for e in elem.iter():
        if "}" in e.tag:
            e.tag = e.tag.split("}", 1)[1]
    return elem


def _text(elem, path, default=None):
    if elem is None:
        return default
    found = elem.find(path)
    return found.text if found is not None and found.text is not None else default


class Response:
    def __init__(self, status, body, headers=None):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode()
        self.headers = list(headers or [])


class Fake:
    """The state and request logic (no sockets). AwsFake below adds the HTTP listener."""

    def __init__(self, config=None):
        self.lock = threading.RLock()
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.base_config = copy.deepcopy(DEFAULT_CONFIG)
        self._merge(self.base_config, config or {})
        self.reset()

    # ----------------------------------------------------------------- control
    @staticmethod
    def _merge(target, update):
        for key, value in update.items():
            if key not in DEFAULT_CONFIG:
                raise ValueError(f"unknown config key {key!r}")
            target[key] = copy.deepcopy(value)

    def reset(self):
        """Wipe moto's and the fake's state; config goes back to the start-up config."""
        with self.lock:
            from moto.moto_api._internal.models import moto_api_backend
            moto_api_backend.reset()
            self.config = copy.deepcopy(self.base_config)
            self.auths = {}            # zone id -> list of (vpc_id, vpc_region)
            self.changes = {}          # change id -> GetChange calls so far
            self.caller_refs = {}      # account -> set of CallerReference
            self.client_tokens = {}    # (account, region, token) -> (fingerprint, vpce id)
            self.endpoint_seen = {}    # (account, region, vpce id) -> describes so far
            self.endpoint_meta = {}    # (account, region, vpce id) -> {service, label, ...}
            self.pcx_seen = {}         # pcx id -> describes so far while initiating
            self.calls = []            # [{service, region, account, action, status, code}]
            self._reset_counters()

    def _reset_counters(self):
        self.service_calls = {}    # service -> count (for throttling)
        self.rule_calls = {}       # rule index -> matching calls
        self.rule_fired = {}       # rule index -> times fired

    def configure(self, update):
        with self.lock:
            self._merge(self.config, update)
            if "failures" in update or "throttle" in update:
                self._reset_counters()

    # --------------------------------------------------------------- dispatch
    def handle(self, method, path, query, headers, body):
        """headers: dict with lower-case names. Returns a Response."""
        if path.startswith("/fake-api/"):
            return self._control(method, path, body)
        service, region, access_key = self._scope(headers.get("authorization", ""))
        if service is None:
            return Response(403, self._r53_error_xml("MissingAuthenticationToken",
                                                     "Missing Authentication Token"),
                            [("Content-Type", "text/xml")])
        account = self.config["accounts"].get(access_key, self.config["default_account"])
        ctx = {"service": service, "region": region, "account": account, "method": method,
               "path": path, "query": query, "headers": headers, "body": body}
        if service == "ec2":
            raw = body.decode() if method == "POST" else query
            ctx["params"] = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
            ctx["action"] = ctx["params"].get("Action", "")
        elif service == "route53":
            ctx["action"], ctx["zone"], ctx["change"] = self._r53_route(method, path)
        else:
            ctx["action"] = "Unknown"
        with self.lock:
            resp = self._handle_locked(ctx)
            self.calls.append({"service": service, "region": region, "account": account,
                               "action": ctx["action"], "status": resp.status,
                               "code": getattr(resp, "error_code", None)})
            return resp

    def _handle_locked(self, ctx):
        service = ctx["service"]
        try:
            self._maybe_throttle(ctx)
            rule = self._match_failure(ctx)
            if rule and rule.get("when", "before") == "before":
                raise self._rule_error(rule)
            resp = self._serve(ctx)
            if rule and resp.status < 300:
                raise self._rule_error(rule)
            return resp
        except (ApiError, ServiceException, RESTError) as err:
            err = self._as_api_error(err)
            if service == "ec2":
                resp = Response(err.status, self._ec2_error_xml(err.code, err.message),
                                [("Content-Type", "text/xml;charset=UTF-8")])
            else:
                resp = Response(err.status, self._r53_error_xml(err.code, err.message),
                                [("Content-Type", "text/xml")])
            resp.error_code = err.code
            return resp

    @staticmethod
    def _as_api_error(err):
        if isinstance(err, ApiError):
            return err
        if isinstance(err, RESTError):  # older moto exception style
            return ApiError(err.error_type, err.message, err.code)
        return ApiError(err.code, err.message, 400)

    @staticmethod
    def _scope(auth):
        m = re.search(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request", auth)
        if not m:
            return None, None, None
        return m.group(4).lower(), m.group(3), m.group(1)

    def _serve(self, ctx):
        handler = getattr(self, f"_{ctx['service']}_{ctx['action']}", None)
        if handler:
            return handler(ctx)
        return self._forward(ctx)

    # ----------------------------------------------------------- injections
    def _maybe_throttle(self, ctx):
        service = ctx["service"]
        n = self.service_calls.get(service, 0) + 1
        self.service_calls[service] = n
        conf = self.config["throttle"].get(service) or {}
        every = int(conf.get("every", 0) or 0)
        if every <= 0 or (conf.get("actions") and ctx["action"] not in conf["actions"]):
            return
        if n % every == 0:
            base = THROTTLE_DEFAULTS.get(service, THROTTLE_DEFAULTS["ec2"])
            raise ApiError(conf.get("code", base["code"]), conf.get("message", base["message"]),
                           int(conf.get("status", base["status"])))

    def _match_failure(self, ctx):
        """Count this call for every matching rule; return the first rule that fires."""
        chosen = None
        for index, rule in enumerate(self.config["failures"]):
            if rule.get("action") != ctx["action"]:
                continue
            if any(rule.get(k) not in (None, ctx[k]) for k in ("service", "account", "region")):
                continue
            n = self.rule_calls.get(index, 0) + 1
            self.rule_calls[index] = n
            fired = self.rule_fired.get(index, 0)
            if chosen is None and n >= int(rule.get("nth", 1)) and fired < int(rule.get("times", 1)):
                self.rule_fired[index] = fired + 1
                chosen = rule
        return chosen

    @staticmethod
    def _rule_error(rule):
        return ApiError(rule.get("code", "InternalError"),
                        rule.get("message", "Injected failure"), int(rule.get("status", 500)))

    # ---------------------------------------------------------------- control
    def _control(self, method, path, body):
        def ok(obj, status=200):
            return Response(status, json.dumps(obj, indent=1), [("Content-Type", "application/json")])
        try:
            if path == "/fake-api/reset" and method == "POST":
                self.reset()
                return ok({"reset": True})
            if path == "/fake-api/config" and method == "POST":
                self.configure(json.loads(body or b"{}"))
                return ok(self.config)
            if path == "/fake-api/config" and method == "GET":
                with self.lock:
                    return ok(self.config)
            if path == "/fake-api/calls" and method == "GET":
                with self.lock:
                    return ok(self.calls)
            if path == "/fake-api/calls" and method == "DELETE":
                with self.lock:
                    self.calls = []
                return ok([])
        except (ValueError, TypeError) as err:
            return ok({"error": str(err)}, 400)
        return ok({"error": f"no such control call {method} {path}"}, 404)

    # ------------------------------------------------------------ moto bridge
    def _forward(self, ctx, body=None, params=None):
        """Send the request to moto in this process; returns a Response (EC2 normalised)."""
        if params is not None:
            body = urllib.parse.urlencode(params).encode()
        if body is None:
            body = ctx["body"]
        environ = {
            "REQUEST_METHOD": ctx["method"], "PATH_INFO": ctx["path"], "QUERY_STRING": ctx["query"],
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "CONTENT_LENGTH": str(len(body)),
        }
        if params is not None and ctx["method"] == "GET":
            environ["QUERY_STRING"], environ["REQUEST_METHOD"] = "", "POST"
        for name, value in ctx["headers"].items():
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
            elif name not in ("content-length", "x-moto-account-id"):
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        if params is not None:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded; charset=utf-8"
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = ctx["account"]
        out = {}

        def start_response(status, headers, exc_info=None):
            out["status"], out["headers"] = int(status.split()[0]), headers

        data = b"".join(self.moto(environ, start_response))
        headers = [(k, v) for k, v in out["headers"]
                   if k.lower() not in ("status", "content-length", "access-control-allow-origin")]
        resp = Response(out["status"], data, headers)
        if ctx["service"] == "ec2":
            self._normalise_ec2(resp)
        elif ctx["service"] == "route53":
            self._normalise_r53(resp)
        return resp

    @staticmethod
    def _normalise_ec2(resp):
        text = resp.body.decode()
        rid = str(uuid.uuid4())
        text = text.replace('xmlns="http://ec2.amazonaws.com/doc/2016-11-15"', f'xmlns="{EC2_NS}"')
        text = text.replace("<requestId>request-id</requestId>", f"<requestId>{rid}</requestId>")
        text = text.replace("<RequestID>request-id</RequestID>", f"<RequestID>{rid}</RequestID>")
        if resp.status >= 300:  # AWS's error document has no namespace
            text = re.sub(r"<Response xmlns=\"[^\"]*\">", "<Response>", text)
            m = re.search(r"<Code>([^<]*)</Code>", text)
            resp.error_code = m.group(1) if m else None
        resp.body = text.encode()

    def _normalise_r53(self, resp):
        text = resp.body.decode()
        if resp.status >= 300:  # moto repeats the message as <message>; AWS does not
            text = re.sub(r"<message>.*?</message>", "", text, flags=re.S)
            m = re.search(r"<Code>([^<]*)</Code>", text)
            resp.error_code = m.group(1) if m else None
        else:
            # every change moto reports becomes a fresh, PENDING change the fake tracks
            def repl(m):
                cid = self._new_change()
                return f"<ChangeInfo><Id>/change/{cid}</Id><Status>PENDING</Status>"
            text = re.sub(r"<ChangeInfo><Id>[^<]*</Id><Status>[^<]*</Status>", repl, text)
        resp.body = text.encode()

    # ------------------------------------------------------------ XML helpers
    @staticmethod
    def _ec2_error_xml(code, message):
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
                f"</Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>")

    @staticmethod
    def _r53_error_xml(code, message, status=400):
        kind = "Receiver" if status >= 500 else "Sender"
        return ('<?xml version="1.0"?>\n'
                f'<ErrorResponse xmlns="{R53_NS}"><Error><Type>{kind}</Type>'
                f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
                f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")

    @staticmethod
    def _ec2_ok(action, inner):
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<{action}Response xmlns="{EC2_NS}">'
                f"<requestId>{uuid.uuid4()}</requestId>{inner}</{action}Response>")
        return Response(200, body, [("Content-Type", "text/xml;charset=UTF-8")])

    @staticmethod
    def _r53_ok(root, inner, status=200, headers=()):
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{R53_NS}">{inner}</{root}>'
        rid = str(uuid.uuid4())
        return Response(status, body, [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid),
                                       *headers])

    # =================================================================== EC2
    def _ec2(self, account, region):
        return ec2_backends[account][region]

    def _services(self):
        return catalog.default_services() + [
            {"id": s["name"].rsplit(".", 1)[-1], "site": "extra", **s}
            for s in self.config["extra_services"]]

    def _visible_services(self, region, service_regions):
        """Services a caller in `region` can see, given the ServiceRegion.N it asked for."""
        hosts = set(service_regions) or {region}
        out = []
        for svc in self._services():
            if svc["region"] not in hosts:
                continue
            if svc["region"] == region or region in self.config["cross_region"].get(svc["region"], []):
                out.append(svc)
        return out

    def _ec2_DescribeVpcEndpointServices(self, ctx):
        params, region = ctx["params"], ctx["region"]
        names = _indexed(params, "ServiceName")
        service_regions = _indexed(params, "ServiceRegion")
        ours = any(".vpce-svc-" in n for n in names) or service_regions or not names
        if not ours:
            return self._forward(ctx)  # AWS's own services (moto knows them)
        visible = {s["name"]: s for s in self._visible_services(region, service_regions)}
        for name in names:
            if name not in visible:
                raise ApiError("InvalidServiceName",
                               f"The Vpc Endpoint Service '{name}' does not exist")
        chosen = [visible[n] for n in names] if names else list(visible.values())
        for fname, values in _filters(params):
            key = {"service-name": "name", "service-region": "region"}.get(fname)
            if fname == "service-type":
                chosen = [s for s in chosen if "Interface" in values]
            elif key:
                chosen = [s for s in chosen if s[key] in values]
            else:
                raise ApiError("InvalidParameterValue", f"The filter '{fname}' is invalid")
        zones = [z.name for z in self._ec2(ctx["account"], region).describe_availability_zones()]
        items = []
        for s in chosen:
            base = f"{s['id']}.{s['region']}.vpce.amazonaws.com"
            azs = "".join(f"<item>{z}</item>" for z in zones)
            items.append(
                f"<item><serviceName>{s['name']}</serviceName><serviceId>{s['id']}</serviceId>"
                "<serviceType><item><serviceType>Interface</serviceType></item></serviceType>"
                f"<serviceRegion>{s['region']}</serviceRegion>"
                f"<availabilityZoneSet>{azs}</availabilityZoneSet>"
                f"<owner>{catalog.SERVICE_OWNER}</owner>"
                f"<baseEndpointDnsNameSet><item>{base}</item></baseEndpointDnsNameSet>"
                f"<privateDnsName>{s['private_dns_name']}</privateDnsName>"
                "<privateDnsNameSet><item><privateDnsName>"
                f"{s['private_dns_name']}</privateDnsName></item></privateDnsNameSet>"
                "<vpcEndpointPolicySupported>false</vpcEndpointPolicySupported>"
                "<acceptanceRequired>false</acceptanceRequired>"
                "<managesVpcEndpoints>false</managesVpcEndpoints><tagSet/>"
                "<privateDnsNameVerificationState>verified</privateDnsNameVerificationState>"
                "<supportedIpAddressTypeSet><item>ipv4</item></supportedIpAddressTypeSet></item>")
        name_set = "".join(f"<item>{s['name']}</item>" for s in chosen)
        return self._ec2_ok("DescribeVpcEndpointServices",
                            f"<serviceNameSet>{name_set}</serviceNameSet>"
                            f"<serviceDetailSet>{''.join(items)}</serviceDetailSet>")

    def _ec2_CreateVpcEndpoint(self, ctx):
        params, region, account = ctx["params"], ctx["region"], ctx["account"]
        name = params.get("ServiceName", "")
        if params.get("VpcEndpointType", "Gateway").lower() != "interface" or ".vpce-svc-" not in name:
            return self._forward(ctx)  # gateway endpoints and AWS services: moto as is
        backend = self._ec2(account, region)
        service_region = params.get("ServiceRegion") or region
        token = params.get("ClientToken")
        fingerprint = json.dumps({k: v for k, v in params.items()
                                  if k not in ("ClientToken", "Action", "Version")}, sort_keys=True)
        if token and (account, region, token) in self.client_tokens:
            old_fp, vpce_id = self.client_tokens[(account, region, token)]
            if old_fp != fingerprint:
                raise ApiError("IdempotentParameterMismatch",
                               "The client token you have provided is associated with a resource "
                               "that is already created with different parameters.")
            return self._create_response(ctx, vpce_id, token)
        visible = {s["name"]: s for s in self._visible_services(region, [service_region])}
        svc = visible.get(name)
        if svc is None:
            if service_region != region and any(s["name"] == name for s in self._services()):
                raise ApiError("InvalidServiceName",
                               f"The Vpc Endpoint Service '{name}' is not available in Region "
                               f"{region} for cross-Region connectivity from {service_region}")
            raise ApiError("InvalidServiceName", f"The Vpc Endpoint Service '{name}' does not exist")
        vpc = backend.get_vpc(params.get("VpcId", ""))  # InvalidVpcID.NotFound
        zones = self._endpoint_subnet_zones(backend, vpc, _indexed(params, "SubnetId"))
        self._check_security_groups(backend, _indexed(params, "SecurityGroupId"))
        private_dns = _bool(params.get("PrivateDnsEnabled", "true"))
        if private_dns:
            self._check_private_dns(vpc)
        fwd = dict(params)
        fwd["PrivateDnsEnabled"] = "true" if private_dns else "false"
        fwd.pop("ServiceRegion", None)
        resp = self._forward(ctx, params=fwd)
        if resp.status != 200:
            return resp
        vpce_id = re.search(r"<vpcEndpointId>([^<]+)</vpcEndpointId>", resp.body.decode()).group(1)
        ep = backend.vpc_end_points[vpce_id]
        ep.state = "pending"
        ep.private_dns_enabled = private_dns
        ep.service_region = service_region
        # Chosen once, so the names stay the same when ModifyVpcEndpoint rebuilds the entries.
        meta = {"service": svc, "label": f"{vpce_id}-{_rand(8)}",
                "private_zone_id": "Z" + _rand(20, string.ascii_uppercase + string.digits)}
        self.endpoint_meta[(account, region, vpce_id)] = meta
        ep.dns_entries = self._endpoint_dns_entries(region, meta, zones, private_dns)
        self.endpoint_seen[(account, region, vpce_id)] = 0
        if token:
            self.client_tokens[(account, region, token)] = (fingerprint, vpce_id)
        return self._create_response(ctx, vpce_id, token)

    @staticmethod
    def _endpoint_subnet_zones(backend, vpc, subnet_ids):
        """AZ -> subnet of an interface endpoint's subnets, in order, checked as AWS does."""
        zones = {}
        for subnet_id in subnet_ids:
            subnet = backend.get_subnet(subnet_id)  # InvalidSubnetID.NotFound
            if subnet.vpc_id != vpc.id:
                raise ApiError("InvalidParameter",
                               f"The subnet ID '{subnet_id}' does not belong to VPC '{vpc.id}'")
            if subnet.availability_zone in zones:
                raise ApiError("DuplicateSubnetsInSameZone",
                               f"Found another VPC endpoint subnet in the availability zone of "
                               f"{subnet_id}. VPC endpoint subnets should be in different "
                               "availability zones supported by the VPC endpoint service.")
            zones[subnet.availability_zone] = subnet_id
        return zones

    @staticmethod
    def _check_security_groups(backend, group_ids):
        for sg_id in group_ids:
            if backend.get_security_group_from_id(sg_id) is None:
                raise ApiError("InvalidSecurityGroupID.NotFound",
                               f"The security group '{sg_id}' does not exist")

    @staticmethod
    def _check_private_dns(vpc):
        if not (vpc.enable_dns_support and vpc.enable_dns_hostnames):
            raise ApiError("InvalidParameter",
                           "Enabling private DNS requires both enableDnsSupport and "
                           f"enableDnsHostnames VPC attributes set to true for {vpc.id}")

    def _endpoint_dns_entries(self, region, meta, zones, private_dns):
        """AWS-shaped DnsEntries: the regional name, one name per AZ in `zones`, then (private
        DNS on) the service's private DNS name."""
        zone_id = catalog.vpce_zone_id(region, self.config["vpce_zone_ids"])
        label, svc_label = meta["label"], f"{meta['service']['id']}.{region}.vpce.amazonaws.com"
        entries = [{"dns_name": f"{label}.{svc_label}", "hosted_zone_id": zone_id}]
        entries += [{"dns_name": f"{label}-{az}.{svc_label}", "hosted_zone_id": zone_id}
                    for az in zones]
        if private_dns:
            entries.append({"dns_name": meta["service"]["private_dns_name"],
                            "hosted_zone_id": meta["private_zone_id"]})
        return entries

    def _create_response(self, ctx, vpce_id, token):
        """CreateVpcEndpoint answer: the endpoint as moto serialises it (no describe counted)."""
        sub = dict(ctx, action="DescribeVpcEndpoints")
        resp = self._forward(sub, params={"Action": "DescribeVpcEndpoints", "Version": "2016-11-15",
                                          "VpcEndpointId.1": vpce_id})
        item = re.search(r"<vpcEndpointSet><item>(.*)</item></vpcEndpointSet>", resp.body.decode(), re.S)
        inner = f"<vpcEndpoint>{item.group(1)}</vpcEndpoint>"
        if token:
            inner += f"<clientToken>{escape(token)}</clientToken>"
        return self._ec2_ok("CreateVpcEndpoint", inner)

    def _ec2_ModifyVpcEndpoint(self, ctx):
        params, account, region = ctx["params"], ctx["account"], ctx["region"]
        backend = self._ec2(account, region)
        vpce_id = params.get("VpcEndpointId", "")
        meta = self.endpoint_meta.get((account, region, vpce_id))
        if meta is None:
            if vpce_id in backend.vpc_end_points:
                return self._forward(ctx)  # gateway endpoints and AWS services: moto as is
            raise ApiError("InvalidVpcEndpointId.NotFound",
                           f"The Vpc Endpoint Id '{vpce_id}' does not exist")
        ep = backend.vpc_end_points[vpce_id]
        vpc = backend.get_vpc(ep.vpc_id)
        # The checks of CreateVpcEndpoint, on the subnets the endpoint will have afterwards
        # (moto keeps the remaining ones in order and appends the added ones).
        removed = _indexed(params, "RemoveSubnetId")
        subnet_ids = [s for s in ep.subnet_ids if s not in removed]
        subnet_ids += [s for s in _indexed(params, "AddSubnetId") if s not in subnet_ids]
        zones = self._endpoint_subnet_zones(backend, vpc, subnet_ids)
        self._check_security_groups(backend, _indexed(params, "AddSecurityGroupId"))
        private_dns = ep.private_dns_enabled
        if "PrivateDnsEnabled" in params:
            private_dns = _bool(params["PrivateDnsEnabled"])
            if private_dns:
                self._check_private_dns(vpc)
        resp = self._forward(ctx)  # moto changes the subnets and groups; it ignores private DNS
        if resp.status != 200:
            return resp
        ep.private_dns_enabled = private_dns
        ep.dns_entries = self._endpoint_dns_entries(region, meta, zones, private_dns)
        return self._ec2_ok("ModifyVpcEndpoint", "<return>true</return>")

    def _ec2_DescribeVpcEndpoints(self, ctx):
        params, account, region = ctx["params"], ctx["account"], ctx["region"]
        backend = self._ec2(account, region)
        for key, seen in list(self.endpoint_seen.items()):
            if key[:2] != (account, region):
                continue
            ep = backend.vpc_end_points.get(key[2])
            if ep is not None and ep.state == "pending" and seen >= self.config["endpoint_pending_describes"]:
                ep.state = "available"
            self.endpoint_seen[key] = seen + 1
        filters = _filters(params)
        if not filters:
            return self._forward(ctx)
        ids = _indexed(params, "VpcEndpointId")
        chosen = [ep for ep in backend.vpc_end_points.values() if not ids or ep.id in ids]
        getters = {
            "vpc-id": lambda ep: [ep.vpc_id], "service-name": lambda ep: [ep.service_name],
            "vpc-endpoint-id": lambda ep: [ep.id], "vpc-endpoint-state": lambda ep: [ep.state],
            "vpc-endpoint-type": lambda ep: [ep.vpc_endpoint_type],
            "service-region": lambda ep: [getattr(ep, "service_region", region)],
        }
        chosen = self._apply_filters(chosen, filters, getters)
        return self._describe_by_ids(ctx, chosen, "VpcEndpointId", "vpcEndpointSet")

    def _apply_filters(self, objects, filters, getters):
        for fname, values in filters:
            if fname.startswith("tag:"):
                get = lambda o, key=fname[4:]: [self._tags(o).get(key)]
            elif fname == "tag-key":
                get = lambda o: list(self._tags(o).keys())
            elif fname in getters:
                get = getters[fname]
            else:
                raise ApiError("InvalidParameterValue", f"The filter '{fname}' is invalid")
            objects = [o for o in objects if any(self._match(v, values) for v in get(o))]
        return objects

    @staticmethod
    def _tags(obj):
        return {t["key"]: t["value"] for t in obj.get_tags()}

    @staticmethod
    def _match(value, patterns):
        if value is None:
            return False
        for pat in patterns:
            regex = "^" + re.escape(pat).replace(r"\*", ".*").replace(r"\?", ".") + "$"
            if re.match(regex, str(value)):
                return True
        return False

    def _describe_by_ids(self, ctx, objects, id_param, set_name):
        """Answer a filtered describe by asking moto for exactly these ids (moto ignores filters)."""
        action = ctx["action"]
        if not objects:
            return self._ec2_ok(action, f"<{set_name}/>")
        fwd = {"Action": action, "Version": "2016-11-15"}
        for i, obj in enumerate(objects, 1):
            fwd[f"{id_param}.{i}"] = obj.id
        return self._forward(ctx, params=fwd)

    def _ec2_CreateVpcPeeringConnection(self, ctx):
        params, account, region = ctx["params"], ctx["account"], ctx["region"]
        backend = self._ec2(account, region)
        vpc = backend.get_vpc(params.get("VpcId", ""))
        peer_account = params.get("PeerOwnerId") or account
        peer_region = params.get("PeerRegion") or region
        peer_id = params.get("PeerVpcId", "")
        peer_backend = self._ec2(peer_account, peer_region)
        if peer_id not in peer_backend.vpcs:
            raise ApiError("InvalidVpcID.NotFound", f"The vpc ID '{peer_id}' does not exist")
        for pcx in backend.vpc_pcxs.values():
            pair = {pcx.vpc.id, pcx.peer_vpc.id}
            if pair == {vpc.id, peer_id} and pcx._status.code in ACTIVE_PCX:
                raise ApiError("VpcPeeringConnectionAlreadyExists",
                               f"A VPC peering connection already exists between {vpc.id} and "
                               f"{peer_id} ({pcx.id}).")
        resp = self._forward(ctx)
        if resp.status != 200:
            return resp
        pcx_id = re.search(r"<vpcPeeringConnectionId>([^<]+)<", resp.body.decode()).group(1)
        pcx = backend.vpc_pcxs[pcx_id]
        peer_vpc = peer_backend.vpcs[peer_id]
        if ipaddress.ip_network(vpc.cidr_block).overlaps(ipaddress.ip_network(peer_vpc.cidr_block)):
            pcx._status.code, pcx._status.message = "failed", "Overlapping CIDR range"
        elif peer_region != region and self.config["peering_initiating_describes"] > 0:
            pcx._status.initiating()
            self.pcx_seen[pcx_id] = 0
        return resp

    def _ec2_DescribeVpcPeeringConnections(self, ctx):
        params, account, region = ctx["params"], ctx["account"], ctx["region"]
        backend = self._ec2(account, region)
        for pcx_id, seen in list(self.pcx_seen.items()):
            pcx = backend.vpc_pcxs.get(pcx_id)
            if pcx is None:
                continue
            if pcx._status.code == "initiating-request":
                if seen >= self.config["peering_initiating_describes"]:
                    pcx._status.pending()
                    del self.pcx_seen[pcx_id]
                    continue
            self.pcx_seen[pcx_id] = seen + 1
        filters = _filters(params)
        if not filters:
            return self._forward(ctx)
        ids = _indexed(params, "VpcPeeringConnectionId")
        chosen = [p for p in backend.vpc_pcxs.values() if not ids or p.id in ids]
        getters = {
            "requester-vpc-info.vpc-id": lambda p: [p.vpc.id],
            "accepter-vpc-info.vpc-id": lambda p: [p.peer_vpc.id],
            "requester-vpc-info.owner-id": lambda p: [p.vpc.owner_id],
            "accepter-vpc-info.owner-id": lambda p: [p.peer_vpc.owner_id],
            "requester-vpc-info.cidr-block": lambda p: [p.vpc.cidr_block],
            "accepter-vpc-info.cidr-block": lambda p: [p.peer_vpc.cidr_block],
            "status-code": lambda p: [p._status.code],
            "vpc-peering-connection-id": lambda p: [p.id],
        }
        chosen = self._apply_filters(chosen, filters, getters)
        return self._describe_by_ids(ctx, chosen, "VpcPeeringConnectionId", "vpcPeeringConnectionSet")

    # ============================================================= Route 53
    _R53_ROUTES = [
        ("POST", r"/2013-04-01/hostedzone/?", "CreateHostedZone"),
        ("GET", r"/2013-04-01/hostedzone/?", "ListHostedZones"),
        ("GET", r"/2013-04-01/hostedzone/(?P<zone>[^/]+)/?", "GetHostedZone"),
        ("DELETE", r"/2013-04-01/hostedzone/(?P<zone>[^/]+)/?", "DeleteHostedZone"),
        ("POST", r"/2013-04-01/hostedzone/(?P<zone>[^/]+)/rrset/?", "ChangeResourceRecordSets"),
        ("GET", r"/2013-04-01/hostedzone/(?P<zone>[^/]+)/rrset/?", "ListResourceRecordSets"),
        ("POST", r"/2013-04-01/hostedzone/(?P<zone>[^/]+)/associatevpc/?", "AssociateVPCWithHostedZone"),
        ("POST", r"/2013-04-01/hostedzone/(?P<zone>[^/]+)/disassociatevpc/?", "DisassociateVPCFromHostedZone"),
        ("POST", r"/2013-04-01/hostedzone/(?P<zone>[^/]+)/authorizevpcassociation/?", "CreateVPCAssociationAuthorization"),
        ("GET", r"/2013-04-01/hostedzone/(?P<zone>[^/]+)/authorizevpcassociation/?", "ListVPCAssociationAuthorizations"),
        ("POST", r"/2013-04-01/hostedzone/(?P<zone>[^/]+)/deauthorizevpcassociation/?", "DeleteVPCAssociationAuthorization"),
        ("GET", r"/2013-04-01/change/(?P<change>[^/]+)/?", "GetChange"),
        ("GET", r"/2013-04-01/hostedzonesbyname/?", "ListHostedZonesByName"),
        ("GET", r"/2013-04-01/hostedzonesbyvpc/?", "ListHostedZonesByVPC"),
        # moto answers these; named here for the call log and failure injection.
        ("POST", r"/2013-04-01/tags/hostedzone/(?P<zone>[^/]+)/?", "ChangeTagsForResource"),
        ("GET", r"/2013-04-01/tags/hostedzone/(?P<zone>[^/]+)/?", "ListTagsForResource"),
    ]

    def _r53_route(self, method, path):
        for m, pattern, action in self._R53_ROUTES:
            match = re.fullmatch(pattern, path)
            if m == method and match:
                groups = match.groupdict()
                return action, groups.get("zone"), groups.get("change")
        return "Route53Other", None, None

    def _new_change(self):
        cid = "C" + _rand(20, string.ascii_uppercase + string.digits)
        self.changes[cid] = 0
        return cid

    def _change_info(self, comment=None):
        cid = self._new_change()
        extra = f"<Comment>{escape(comment)}</Comment>" if comment else ""
        return (f"<ChangeInfo><Id>/change/{cid}</Id><Status>PENDING</Status>"
                f"<SubmittedAt>{_now_iso()}</SubmittedAt>{extra}</ChangeInfo>")

    def _find_zone(self, zone_id):
        """(owner account, moto zone) for a zone id in any account, or raise NoSuchHostedZone."""
        zone_id = zone_id.split("/")[-1]
        for account in list(route53_backends.keys()):
            backend = route53_backends[account]["global"]
            if zone_id in backend.zones:
                return account, backend.zones[zone_id]
        raise ApiError("NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}", 404)

    def _own_zone(self, ctx):
        owner, zone = self._find_zone(ctx["zone"])
        if owner != ctx["account"]:
            raise ApiError("NoSuchHostedZone", f"No hosted zone found with ID: {zone.resource_id}", 404)
        return zone

    @staticmethod
    def _xml(ctx):
        try:
            return _strip_ns(ET.fromstring(ctx["body"]))
        except ET.ParseError as err:
            raise ApiError("InvalidInput", f"Could not parse request body: {err}")

    def _vpc_arg(self, ctx):
        root = self._xml(ctx)
        vpc_id, vpc_region = _text(root, "VPC/VPCId"), _text(root, "VPC/VPCRegion")
        if not vpc_id or not vpc_region:
            raise ApiError("InvalidInput", "VPC and VPCRegion are required")
        return root, vpc_id, vpc_region

    def _vpc_owner(self, vpc_id, region):
        for account in list(ec2_backends.keys()):
            backends = ec2_backends[account]
            if region in backends.keys() and vpc_id in backends[region].vpcs:
                return account
        return None

    @staticmethod
    def _zones_with_vpc(name, vpc_id, region):
        name = name.rstrip(".").lower() + "."
        for account in list(route53_backends.keys()):
            for zone in route53_backends[account]["global"].zones.values():
                if zone.name.lower() == name and any(
                        v["vpc_id"] == vpc_id and v["vpc_region"] == region for v in zone.vpcs):
                    yield account, zone

    def _route53_GetChange(self, ctx):
        cid = ctx["change"].split("/")[-1]
        if cid not in self.changes:
            raise ApiError("NoSuchChange", f"A change with the specified change ID does not exist: {cid}", 404)
        n = self.changes[cid]
        self.changes[cid] = n + 1
        status = "INSYNC" if n >= self.config["change_pending_gets"] else "PENDING"
        return self._r53_ok("GetChangeResponse",
                            f"<ChangeInfo><Id>/change/{cid}</Id><Status>{status}</Status>"
                            f"<SubmittedAt>{_now_iso()}</SubmittedAt></ChangeInfo>")

    def _route53_CreateHostedZone(self, ctx):
        root = self._xml(ctx)
        name, ref = _text(root, "Name"), _text(root, "CallerReference")
        if not name or not ref:
            raise ApiError("InvalidInput", "Name and CallerReference are required")
        refs = self.caller_refs.setdefault(ctx["account"], set())
        if ref in refs:
            raise ApiError("HostedZoneAlreadyExists",
                           f"A hosted zone has already been created with the specified caller "
                           f"reference: {ref}", 409)
        vpc_id, vpc_region = _text(root, "VPC/VPCId"), _text(root, "VPC/VPCRegion")
        if vpc_id:
            if self._vpc_owner(vpc_id, vpc_region) != ctx["account"]:
                raise ApiError("InvalidVPCId",
                               f"The VPC ID '{vpc_id}' is not valid for region {vpc_region}")
            if any(True for _ in self._zones_with_vpc(name, vpc_id, vpc_region)):
                raise ApiError("ConflictingDomainExists",
                               f"Cannot create hosted zone with DomainName {name} in VPC "
                               f"{vpc_id}: a private hosted zone with this name is already "
                               "associated with it")
        resp = self._forward(ctx)
        if resp.status < 300:
            refs.add(ref)
        return resp

    def _route53_DeleteHostedZone(self, ctx):
        zone = self._own_zone(ctx)
        resp = self._forward(ctx)
        if resp.status < 300:
            self.auths.pop(zone.resource_id, None)
        return resp

    def _route53_CreateVPCAssociationAuthorization(self, ctx):
        zone = self._own_zone(ctx)
        _, vpc_id, vpc_region = self._vpc_arg(ctx)
        if not zone.private_zone:
            raise ApiError("PublicZoneVPCAssociation",
                           "Public hosted zones cannot be associated with a VPC")
        if self._vpc_owner(vpc_id, vpc_region) is None:
            raise ApiError("InvalidVPCId", f"The VPC ID '{vpc_id}' is not valid for region {vpc_region}")
        auths = self.auths.setdefault(zone.resource_id, [])
        if (vpc_id, vpc_region) not in auths:
            auths.append((vpc_id, vpc_region))
        return self._r53_ok("CreateVPCAssociationAuthorizationResponse",
                            f"<HostedZoneId>{zone.resource_id}</HostedZoneId><VPC><VPCRegion>{vpc_region}"
                            f"</VPCRegion><VPCId>{vpc_id}</VPCId></VPC>")

    def _route53_ListVPCAssociationAuthorizations(self, ctx):
        zone = self._own_zone(ctx)
        query = dict(urllib.parse.parse_qsl(ctx["query"]))
        auths = self.auths.get(zone.resource_id, [])
        start = 0
        if query.get("nexttoken"):
            try:
                start = int(query["nexttoken"])
            except ValueError:
                raise ApiError("InvalidPaginationToken", "The pagination token is not valid")
        size = int(query.get("maxresults", 50))
        page = auths[start:start + size]
        vpcs = "".join(f"<VPC><VPCRegion>{r}</VPCRegion><VPCId>{v}</VPCId></VPC>" for v, r in page)
        token = f"<NextToken>{start + size}</NextToken>" if start + size < len(auths) else ""
        return self._r53_ok("ListVPCAssociationAuthorizationsResponse",
                            f"<HostedZoneId>{zone.resource_id}</HostedZoneId>{token}<VPCs>{vpcs}</VPCs>")

    def _route53_DeleteVPCAssociationAuthorization(self, ctx):
        zone = self._own_zone(ctx)
        _, vpc_id, vpc_region = self._vpc_arg(ctx)
        auths = self.auths.get(zone.resource_id, [])
        if (vpc_id, vpc_region) not in auths:
            raise ApiError("VPCAssociationAuthorizationNotFound",
                           f"The VPC {vpc_id} in {vpc_region} has not been authorized to be "
                           f"associated with hosted zone {zone.resource_id}", 404)
        auths.remove((vpc_id, vpc_region))
        return self._r53_ok("DeleteVPCAssociationAuthorizationResponse", "")

    def _route53_AssociateVPCWithHostedZone(self, ctx):
        owner, zone = self._find_zone(ctx["zone"])
        root, vpc_id, vpc_region = self._vpc_arg(ctx)
        caller = ctx["account"]
        vpc_owner = self._vpc_owner(vpc_id, vpc_region)
        if vpc_owner is None:
            raise ApiError("InvalidVPCId", f"The VPC ID '{vpc_id}' is not valid for region {vpc_region}")
        if vpc_owner != caller:
            raise ApiError("NotAuthorizedException",
                           f"User is not authorized to associate VPC {vpc_id}: it belongs to "
                           "another account", 401)
        if owner != caller and (vpc_id, vpc_region) not in self.auths.get(zone.resource_id, []):
            raise ApiError("NotAuthorizedException",
                           f"The VPC {vpc_id} has not been authorized to be associated with "
                           f"hosted zone {zone.resource_id} (CreateVPCAssociationAuthorization)", 401)
        if not zone.private_zone:
            raise ApiError("PublicZoneVPCAssociation",
                           "Public hosted zones cannot be associated with a VPC")
        if any(True for _ in self._zones_with_vpc(zone.name, vpc_id, vpc_region)):
            raise ApiError("ConflictingDomainExists",
                           f"The VPC {vpc_id} in {vpc_region} is already associated with a "
                           f"hosted zone named {zone.name}")
        zone.add_vpc(vpc_id, vpc_region)
        return self._r53_ok("AssociateVPCWithHostedZoneResponse",
                            self._change_info(_text(root, "Comment")))

    def _route53_DisassociateVPCFromHostedZone(self, ctx):
        owner, zone = self._find_zone(ctx["zone"])
        root, vpc_id, vpc_region = self._vpc_arg(ctx)
        caller = ctx["account"]
        if caller not in (owner, self._vpc_owner(vpc_id, vpc_region)):
            raise ApiError("NotAuthorizedException",
                           f"User is not authorized to disassociate VPC {vpc_id}", 401)
        if not any(v["vpc_id"] == vpc_id and v["vpc_region"] == vpc_region for v in zone.vpcs):
            raise ApiError("VPCAssociationNotFound",
                           f"The specified VPC {vpc_id} in {vpc_region} is not associated with "
                           f"hosted zone {zone.resource_id}", 404)
        if len(zone.vpcs) == 1:
            raise ApiError("LastVPCAssociation",
                           "The VPC that you're trying to disassociate from the private hosted "
                           "zone is the last VPC that is associated with the hosted zone.")
        zone.vpcs = [v for v in zone.vpcs
                     if not (v["vpc_id"] == vpc_id and v["vpc_region"] == vpc_region)]
        return self._r53_ok("DisassociateVPCFromHostedZoneResponse",
                            self._change_info(_text(root, "Comment")))

    def _route53_ListHostedZonesByVPC(self, ctx):
        query = dict(urllib.parse.parse_qsl(ctx["query"]))
        vpc_id, vpc_region = query.get("vpcid"), query.get("vpcregion")
        if not vpc_id or not vpc_region:
            raise ApiError("InvalidInput", "vpcid and vpcregion are required")
        if self._vpc_owner(vpc_id, vpc_region) != ctx["account"]:
            raise ApiError("InvalidVPCId", f"The VPC ID '{vpc_id}' is not valid for region {vpc_region}")
        max_items = query.get("maxitems", "100")
        items = []
        for account in list(route53_backends.keys()):
            for zone in route53_backends[account]["global"].zones.values():
                if any(v["vpc_id"] == vpc_id and v["vpc_region"] == vpc_region for v in zone.vpcs):
                    items.append(f"<HostedZoneSummary><HostedZoneId>{zone.resource_id}</HostedZoneId>"
                                 f"<Name>{escape(zone.name)}</Name><Owner><OwningAccount>"
                                 f"{account}</OwningAccount></Owner></HostedZoneSummary>")
        return self._r53_ok("ListHostedZonesByVPCResponse",
                            f"<HostedZoneSummaries>{''.join(items)}</HostedZoneSummaries>"
                            f"<MaxItems>{escape(max_items)}</MaxItems>")


# ======================================================================= HTTP
class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AmazonS3"  # replaced below; AWS sends "Server: AmazonEC2" etc.

    def _do(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            resp = self.server.fake.handle(self.command, url.path, url.query, headers, body)
        except Exception as err:  # a bug in the fake: answer 500 and say why
            import traceback
            traceback.print_exc()
            resp = Response(500, f"fake internal error: {err!r}", [("Content-Type", "text/plain")])
        self.send_response(resp.status)
        names = set()
        for name, value in resp.headers:
            names.add(name.lower())
            self.send_header(name, value)
        if "x-amzn-requestid" not in names:
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _do

    def version_string(self):
        return "AmazonEC2"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("aws_fake: " + fmt % args + "\n")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def _check_loopback(host):
    import socket
    for info in socket.getaddrinfo(host, 0):
        if not ipaddress.ip_address(info[4][0]).is_loopback:
            raise ValueError(f"refusing to listen on non-loopback address {host}")


class AwsFake:
    """Python API:  fake = AwsFake(config={...}).start(); fake.url; fake.stop()."""

    def __init__(self, host="127.0.0.1", port=0, config=None, verbose=False):
        _check_loopback(host)
        self.fake = Fake(config)
        family = http.server.ThreadingHTTPServer.address_family
        if ":" in host:
            import socket
            _Server.address_family = socket.AF_INET6
        self.httpd = _Server((host, port), _Handler)
        _Server.address_family = family
        self.httpd.fake, self.httpd.verbose = self.fake, verbose
        self.host, self.port = host, self.httpd.server_address[1]
        self.thread = None

    @property
    def url(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread:
            self.thread.join()

    def configure(self, update):
        self.fake.configure(update)

    def reset(self):
        self.fake.reset()

    def calls(self):
        with self.fake.lock:
            return list(self.fake.calls)


def main(argv=None):
    import argparse
    import os
    parser = argparse.ArgumentParser(description="Fake EC2 + Route 53 endpoint (moto + extras)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config", help="JSON file with start-up config")
    parser.add_argument("--ready-file", help="write {pid, host, port, url} here when listening")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    config = {}
    if args.config:
        with open(args.config) as f:
            config = json.load(f)
    fake = AwsFake(args.host, args.port, config, args.verbose)
    info = {"pid": os.getpid(), "host": fake.host, "port": fake.port, "url": fake.url}
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(info, f)
        os.replace(tmp, args.ready_file)
    print(json.dumps(info), flush=True)
    try:
        fake.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
