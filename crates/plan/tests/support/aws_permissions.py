"""Validates AWS --ip-permissions JSON files with botocore's parameter validator, offline.

Usage: python3 aws_permissions.py FILE...
Each file must be a valid IpPermissions list for ec2 AuthorizeSecurityGroupIngress. Beyond
the schema, checks what AWS enforces on the server side: no ports on IP protocols other than
tcp/udp, at most 60 rules (CIDR entries) per family, descriptions of at most 255 characters
from AWS's character set.
"""
import json
import re
import sys

import botocore.session
from botocore.validate import ParamValidator

model = botocore.session.get_session().get_service_model("ec2")
shape = model.operation_model("AuthorizeSecurityGroupIngress").input_shape
allowed = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}$")
for path in sys.argv[1:]:
    with open(path) as f:
        permissions = json.load(f)
    report = ParamValidator().validate(
        {"GroupId": "sg-0123456789abcdef0", "IpPermissions": permissions}, shape
    )
    if report.has_errors():
        sys.exit("%s: %s" % (path, report.generate_report()))
    v4 = v6 = 0
    for p in permissions:
        if p["IpProtocol"] not in ("tcp", "udp") and ("FromPort" in p or "ToPort" in p):
            sys.exit("%s: ports on protocol %s" % (path, p["IpProtocol"]))
        for r in p.get("IpRanges", []) + p.get("Ipv6Ranges", []):
            if not allowed.match(r.get("Description", "")):
                sys.exit("%s: bad description %r" % (path, r["Description"]))
        v4 += len(p.get("IpRanges", []))
        v6 += len(p.get("Ipv6Ranges", []))
    if v4 > 60 or v6 > 60:
        sys.exit("%s: %d IPv4 and %d IPv6 rules, over 60" % (path, v4, v6))
    print("ok:", path, len(permissions), "permissions")
