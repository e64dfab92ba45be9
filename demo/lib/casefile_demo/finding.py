"""The GuardDuty finding of the story, wrapped in its EventBridge event.

demo/events/guardduty-c2-finding.json is the template (a real event's shape, with placeholders
${ACCOUNT}, ${INSTANCE_ID}, ${ENI_ID}, ${SUBNET_ID}, ${VPC_ID}, ${SG_ID}, ${AMI_ID}, ${NOW},
${FIRST_SEEN}, ${FINDING_ID}, ${EVENT_ID}); render() fills them from the seeded account.
"""
import datetime
import hashlib
import json
import os
import string

from . import story

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "events",
                        "guardduty-c2-finding.json")


def render(ids, tl, template=TEMPLATE):
    with open(template) as f:
        text = f.read()
    primary = ids["web_az2_primary_eni"]
    seed = (ids["web_az2"] + story.rfc3339(tl.finding)).encode()
    finding_id = hashlib.sha256(b"finding" + seed).hexdigest()[:32]
    event_id = hashlib.sha256(b"event" + seed).hexdigest()
    event_id = "%s-%s-%s-%s-%s" % (event_id[:8], event_id[8:12], event_id[12:16], event_id[16:20],
                                   event_id[20:32])
    first = tl.dropper_deleted + datetime.timedelta(seconds=40)
    values = {
        "ACCOUNT": ids["account_id"], "INSTANCE_ID": ids["web_az2"], "ENI_ID": primary,
        "SUBNET_ID": ids["subnet_az2"], "VPC_ID": ids["vpc_id"], "SG_ID": ids["web_sg_id"],
        "SG2_ID": ids["mgmt_sg_id"], "AMI_ID": ids["web_ami"],
        "NOW": tl.finding.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "FIRST_SEEN": first.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "FINDING_ID": finding_id, "EVENT_ID": event_id, "ATTACKER_IP": story.ATTACKER_IP,
        "C2_PORT": str(story.C2_PORT), "PRIVATE_IP": story.WEB2_PRIVATE_IP,
        "PROFILE_ARN": ids["web_instance_profile_arn"],
    }
    text = string.Template(text).substitute(values)
    event = json.loads(text)  # proves the rendered event is valid JSON
    return event
