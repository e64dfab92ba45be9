#!/usr/bin/env python3
"""Time to containment, casefile vs the `aws` CLI, against moto (run by bench/workflow/run).

Containment = the attacker's IPs denied in and out in the subnet's network ACL and every ENI of
the instance on an empty isolation group. Each run gets a fresh VPC + instance (2 ENIs, 2
attacker IPs) in the same moto.

- casefile: `casefile respond EVENT` with isolate_first, from the spawn of the process (the event
  is read from a file) to its progress line "isolate ... done". Notify runs in parallel with
  block_ip as always; evidence steps come after containment and are not timed.
- aws CLI: a bash script making the calls a responder would type, one after another: describe
  the instance, find the subnet's ACL, create the 4 deny entries, create the untracking and
  isolation groups (authorize / revoke), move each ENI twice, the primary interface at the
  instance, send the e-mail. Timed from the start of bash to its end.
The two are checked equal afterwards by boto3 (same denies, ENIs on the isolation group).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ["CF_SOURCE_DIR"], "tests", "workflow"))
import wfenv  # noqa: E402
from wfenv import client  # noqa: E402

IPS = ("198.51.100.23", "203.0.113.77")

AWS_SCRIPT = r"""
set -euo pipefail
I=$1; IP1=$2; IP2=$3
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
read -r SUBNET VPC <<<"$(aws ec2 describe-instances --instance-ids "$I" \
    --query 'Reservations[0].Instances[0].[SubnetId,VpcId]')"
ENIS=$(aws ec2 describe-instances --instance-ids "$I" \
    --query 'Reservations[0].Instances[0].NetworkInterfaces[].NetworkInterfaceId')
ACL=$(aws ec2 describe-network-acls --filters Name=association.subnet-id,Values="$SUBNET" \
    --query 'NetworkAcls[0].NetworkAclId')
aws ec2 create-network-acl-entry --network-acl-id "$ACL" --rule-number 1 --protocol=-1 \
    --rule-action deny --ingress --cidr-block "$IP1/32"
aws ec2 create-network-acl-entry --network-acl-id "$ACL" --rule-number 1 --protocol=-1 \
    --rule-action deny --egress --cidr-block "$IP1/32"
aws ec2 create-network-acl-entry --network-acl-id "$ACL" --rule-number 2 --protocol=-1 \
    --rule-action deny --ingress --cidr-block "$IP2/32"
aws ec2 create-network-acl-entry --network-acl-id "$ACL" --rule-number 2 --protocol=-1 \
    --rule-action deny --egress --cidr-block "$IP2/32"
U=$(aws ec2 create-security-group --group-name "cli-untrack-$VPC" --description untrack \
    --vpc-id "$VPC" --query GroupId)
aws ec2 authorize-security-group-ingress --group-id "$U" --protocol=-1 --cidr 0.0.0.0/0 >/dev/null
G=$(aws ec2 create-security-group --group-name "cli-isolation-$VPC" --description isolation \
    --vpc-id "$VPC" --query GroupId)
aws ec2 revoke-security-group-egress --group-id "$G" --protocol=-1 --cidr 0.0.0.0/0 >/dev/null
for E in $ENIS; do
    aws ec2 modify-network-interface-attribute --network-interface-id "$E" --groups "$U"
    aws ec2 modify-network-interface-attribute --network-interface-id "$E" --groups "$G"
done
aws ec2 modify-instance-attribute --instance-id "$I" --groups "$G"
aws ses send-email --from casefile@example.com --destination ToAddresses=soc@example.com \
    --message 'Subject={Data=alert},Body={Text={Data=alert}}' >/dev/null
"""


def add_second_eni(info):
    ec2 = client("ec2")
    eni = ec2.create_network_interface(SubnetId=info["subnet"], Groups=[info["web_sg"]])[
        "NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=info["instance"],
                                 DeviceIndex=1)


def contained(info, group_prefix):
    ec2 = client("ec2")
    entries = ec2.describe_network_acls(NetworkAclIds=[info["acl"]])["NetworkAcls"][0]["Entries"]
    denies = {(e["CidrBlock"], e["Egress"]) for e in entries if e["RuleAction"] == "deny" and
              e["RuleNumber"] != 32767}
    want = {(ip + "/32", eg) for ip in IPS for eg in (False, True)}
    enis = ec2.describe_network_interfaces(Filters=[
        {"Name": "attachment.instance-id", "Values": [info["instance"]]}])["NetworkInterfaces"]
    on_iso = all(len(n["Groups"]) == 1 and n["Groups"][0]["GroupName"].startswith(group_prefix)
                 for n in enis)
    return denies == want and on_iso and len(enis) == 2


def run_casefile(tmp, info, n):
    cfg = wfenv.config(tmp, isolate_first=True, skip_disk=True, volatile_timeout_s=0,
                       ip_list_key="bench-%d.jsonl" % n)
    ev = wfenv.write_event(tmp, wfenv.event(info["instance"], finding_id="bench-%d" % n,
                                            ips=IPS), "ev-%d.json" % n)
    t0 = time.monotonic()
    p = subprocess.Popen([os.path.join(os.environ["CF_BIN_DIR"], "casefile"), "respond", ev,
                          "--config", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    t_contained = None
    for line in p.stderr:
        if t_contained is None and " isolate " in line and "done (" in line:
            t_contained = time.monotonic() - t0
    p.wait()
    if t_contained is None:
        raise SystemExit("casefile did not report isolate done")
    if not contained(info, "casefile-isolation-"):
        raise SystemExit("casefile run %d: not contained" % n)
    return t_contained


def run_cli(info, n):
    t0 = time.monotonic()
    subprocess.run(["bash", "-c", AWS_SCRIPT, "bench", info["instance"], *IPS], check=True,
                   stdout=subprocess.DEVNULL)
    t = time.monotonic() - t0
    if not contained(info, "cli-isolation-"):
        raise SystemExit("aws CLI run %d: not contained" % n)
    return t


def main(argv):
    runs = int(argv[1]) if len(argv) > 1 else 5
    client("s3").create_bucket(Bucket=wfenv.BUCKET)
    client("ses").verify_email_identity(EmailAddress=wfenv.SENDER)
    tmp = tempfile.mkdtemp(prefix="cf-bench-")
    cf, cli = [], []
    for i in range(runs):
        a = wfenv.seed_more(None, 1000 + 2 * i, asg=False, tg=False)
        add_second_eni(a)
        cf.append(run_casefile(tmp, a, i))
        b = wfenv.seed_more(None, 1001 + 2 * i, asg=False, tg=False)
        add_second_eni(b)
        cli.append(run_cli(b, i))
    mc, ml = statistics.median(cf), statistics.median(cli)
    print("time to containment against moto (2 attacker IPs in+out, 2 ENIs), %d runs each" % runs)
    print("%-34s %10s %10s %10s" % ("", "median s", "min s", "max s"))
    print("%-34s %10.3f %10.3f %10.3f" % ("casefile respond (isolate_first)", mc, min(cf),
                                         max(cf)))
    print("%-34s %10.3f %10.3f %10.3f" % ("aws CLI script, one call at a time", ml, min(cli),
                                         max(cli)))
    print("ratio (aws CLI / casefile, median): %.1fx" % (ml / mc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
