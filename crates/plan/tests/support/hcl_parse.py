"""Parses Terraform files with python-hcl2 and checks the security group rules' shape.

Usage: python3 hcl_parse.py FILE
Every aws_vpc_security_group_ingress_rule has exactly one of cidr_ipv4 / cidr_ipv6, and ports
exactly when its protocol is tcp or udp.
"""
import sys

import hcl2

with open(sys.argv[1]) as f:
    doc = hcl2.load(f)
rules = 0
for block in doc.get("resource", []):
    for kind, resources in block.items():
        if kind.strip('"') != "aws_vpc_security_group_ingress_rule":
            continue
        for name, body in resources.items():
            rules += 1
            cidrs = [k for k in ("cidr_ipv4", "cidr_ipv6") if k in body]
            if len(cidrs) != 1:
                sys.exit("%s: %s" % (name, cidrs))
            proto = str(body["ip_protocol"]).strip('"')
            has_ports = "from_port" in body and "to_port" in body
            if has_ports != (proto in ("tcp", "udp")):
                sys.exit("%s: protocol %s with ports=%s" % (name, proto, has_ports))
print("ok:", rules, "rules")
