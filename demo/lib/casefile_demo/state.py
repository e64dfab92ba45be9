"""The account's state, read through boto3 (an independent client), and printed as tables."""
from botocore.exceptions import ClientError

from . import seed as seedmod


def _tags(obj):
    return {t["Key"]: t["Value"] for t in obj.get("Tags", []) or []}


def read(endpoint, ids):
    c = seedmod.clients(endpoint)
    ec2 = c.ec2
    st = {}
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id",
                                               "Values": [ids["subnet_az2"]]}])["NetworkAcls"]
    acl = acls[0] if acls else {"NetworkAclId": "?", "Entries": []}
    st["acl_id"] = acl["NetworkAclId"]
    st["acl_entries"] = sorted(
        ({"rule": e["RuleNumber"], "egress": e["Egress"], "action": e["RuleAction"],
          "cidr": e.get("CidrBlock") or e.get("Ipv6CidrBlock", ""), "protocol": e["Protocol"],
          "ports": ("%d-%d" % (e["PortRange"]["From"], e["PortRange"]["To"])
                    if e.get("PortRange") else "all")}
         for e in acl["Entries"]), key=lambda e: (e["egress"], e["rule"]))
    groups = {g["GroupId"]: g for g in ec2.describe_security_groups()["SecurityGroups"]}
    st["security_groups"] = {gid: {"name": g["GroupName"], "ingress": len(g["IpPermissions"]),
                                   "egress": len(g.get("IpPermissionsEgress", []))}
                             for gid, g in groups.items()}
    st["instances"] = {}
    res = ec2.describe_instances()["Reservations"]
    for r in res:
        for inst in r["Instances"]:
            iid = inst["InstanceId"]
            info = {"state": inst["State"]["Name"], "az": inst["Placement"]["AvailabilityZone"],
                    "image": inst["ImageId"], "name": _tags(inst).get("Name", ""),
                    "tags": _tags(inst),
                    "profile": (inst.get("IamInstanceProfile") or {}).get("Arn", ""),
                    "enis": {}}
            for n in inst.get("NetworkInterfaces", []):
                info["enis"][n["NetworkInterfaceId"]] = None
            if info["state"] != "terminated":
                try:
                    a = ec2.describe_instance_attribute(InstanceId=iid,
                                                        Attribute="disableApiTermination")
                    info["termination_protection"] = a["DisableApiTermination"]["Value"]
                    a = ec2.describe_instance_attribute(
                        InstanceId=iid, Attribute="instanceInitiatedShutdownBehavior")
                    info["shutdown_behavior"] = a["InstanceInitiatedShutdownBehavior"]["Value"]
                except ClientError:
                    pass
            st["instances"][iid] = info
    # Per-ENI groups from DescribeNetworkInterfaces (what ModifyNetworkInterfaceAttribute changes).
    enis = {n["NetworkInterfaceId"]: n for n in ec2.describe_network_interfaces()["NetworkInterfaces"]}
    for info in st["instances"].values():
        for eni in info["enis"]:
            n = enis.get(eni)
            info["enis"][eni] = [g["GroupId"] for g in n.get("Groups", [])] if n else []
    health = c.elbv2.describe_target_health(TargetGroupArn=ids["target_group_arn"])
    st["targets"] = {t["Target"]["Id"]: t["TargetHealth"]["State"]
                     for t in health["TargetHealthDescriptions"]}
    # moto lists a snapshot for each of its built-in AMIs: keep those of the scenario's volumes.
    ours = set(ids.get("web_az1_volumes", []) + ids.get("web_az2_volumes", []))
    st["snapshots"] = [{"id": s["SnapshotId"], "volume": s["VolumeId"], "state": s["State"],
                        "tags": _tags(s), "started": str(s.get("StartTime", ""))}
                       for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
                       if s["VolumeId"] in ours or _tags(s)]
    st["volumes"] = [{"id": v["VolumeId"], "az": v["AvailabilityZone"], "state": v["State"],
                      "snapshot": v.get("SnapshotId", ""), "tags": _tags(v),
                      "attached": [a["InstanceId"] for a in v.get("Attachments", [])]}
                     for v in ec2.describe_volumes()["Volumes"]]
    try:
        body = c.s3.get_object(Bucket=ids["ip_bucket"], Key=ids["ip_list_key"])["Body"].read()
        st["ip_list"] = body.decode("utf-8", "replace").splitlines()
    except ClientError:
        st["ip_list"] = []
    return st


def _table(rows, headers):
    rows = [[str(x) for x in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    out = ["  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
           "  " + "  ".join("-" * w for w in widths)]
    out += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(out)


def render(st, ids, title=None):
    gname = lambda g: "%s (%s)" % (st["security_groups"].get(g, {}).get("name", "?"), g)  # noqa
    lines = ["", "== %s ==" % title, ""] if title else []
    lines.append("Network ACL %s (subnet of the AZ2 web server):" % st["acl_id"])
    lines.append(_table([(e["rule"], "out" if e["egress"] else "in", e["action"], e["cidr"],
                          {"-1": "all", "6": "tcp", "17": "udp"}.get(e["protocol"], e["protocol"]),
                          e["ports"]) for e in st["acl_entries"]],
                        ["rule", "dir", "action", "cidr", "proto", "ports"]))
    lines += ["", "Instances, their network interfaces and security groups:"]
    rows = []
    for iid, info in sorted(st["instances"].items(), key=lambda kv: kv[1]["name"]):
        role = {ids["web_az1"]: "web AZ1", ids["web_az2"]: "web AZ2 (compromised)"}.get(
            iid, "forensic worker" if info["image"] == ids["worker_ami"] else "other")
        first = True
        for eni, groups in sorted(info["enis"].items()) or [("-", [])]:
            rows.append((iid if first else "", role if first else "",
                         info["state"] if first else "",
                         ("on" if info.get("termination_protection") else "off") if first else "",
                         eni, ", ".join(gname(g) for g in groups) or "-"))
            first = False
    lines.append(_table(rows, ["instance", "role", "state", "term.prot.", "eni",
                               "security groups"]))
    lines += ["", "Target group shop-web:"]
    lines.append(_table(sorted(st["targets"].items()) or [("(no targets)", "")],
                        ["target", "health"]))
    lines += ["", "Snapshots:"]
    def case_tag(tags):
        for key in ("casefile:case", "casefile:case-id", "casefile:case_id"):
            if tags.get(key):
                return tags[key]
        return ",".join("%s=%s" % kv for kv in sorted(tags.items()) if "case" in kv[0]) or "-"

    snaps = [(s["id"], s["volume"], s["state"], case_tag(s["tags"])) for s in st["snapshots"]]
    lines.append(_table(snaps or [("(none)", "", "", "")], ["snapshot", "volume", "state", "case"]))
    lines += ["", "Malicious-IP list s3://%s/%s:" % (ids["ip_bucket"], ids["ip_list_key"])]
    lines += ["  " + line for line in st["ip_list"]] or ["  (empty)"]
    text = "\n".join(lines)
    return "\n".join("  " + line if line else line for line in text.split("\n"))
