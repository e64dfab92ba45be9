"""The story's CloudTrail events, served by demo/lib/moto_server.py's LookupEvents.

The web server's role works normally from inside the VPC; after the takeover the attacker reads
the instance role's credentials from IMDS through the web shell and uses them from 203.0.113.66.
"""
import datetime
import hashlib
import json

from . import story

ACCESS_KEY = "ASIAEXAMPLEWEBROLE7Q"


def _event(ids, when, name, source, ip, ua, resources=(), error=None, read_only=True,
           params=None):
    role_arn = "arn:aws:iam::%s:role/%s" % (ids["account_id"], ids["web_role"])
    arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (ids["account_id"], ids["web_role"],
                                                  ids["web_az2"])
    eid = hashlib.sha256(("%s%s%s" % (when.isoformat(), name, ip)).encode()).hexdigest()
    eid = "%s-%s-%s-%s-%s" % (eid[:8], eid[8:12], eid[12:16], eid[16:20], eid[20:32])
    detail = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole", "principalId": "AROAEXAMPLEWEBROLE:%s" % ids["web_az2"],
            "arn": arn, "accountId": ids["account_id"], "accessKeyId": ACCESS_KEY,
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEWEBROLE",
                                  "arn": role_arn, "accountId": ids["account_id"],
                                  "userName": ids["web_role"]},
                "attributes": {"creationDate": story.rfc3339(when - datetime.timedelta(hours=1)),
                               "mfaAuthenticated": "false"},
                "ec2RoleDelivery": "2.0"}},
        "eventTime": story.rfc3339(when), "eventSource": source, "eventName": name,
        "awsRegion": story.REGION, "sourceIPAddress": ip, "userAgent": ua,
        "requestParameters": params, "responseElements": None, "requestID": eid[::-1],
        "eventID": eid, "readOnly": read_only, "eventType": "AwsApiCall",
        "managementEvent": True, "recipientAccountId": ids["account_id"],
        "eventCategory": "Management"}
    if error:
        detail["errorCode"] = error
        detail["errorMessage"] = "User: %s is not authorized to perform: %s" % (arn, name)
    return {"EventId": eid, "EventName": name, "ReadOnly": "true" if read_only else "false",
            "AccessKeyId": ACCESS_KEY, "EventTime": when.timestamp(), "EventSource": source,
            "Username": ids["web_az2"],
            "Resources": [{"ResourceType": t, "ResourceName": n} for t, n in resources],
            "CloudTrailEvent": json.dumps(detail)}


def events(ids, tl):
    inside = story.WEB2_PRIVATE_IP
    sdk = "aws-sdk-php/3.283.0 OS/Linux/5.15.0 lang/php#8.1.2"
    cli = "aws-cli/2.13.25 Python/3.11.5 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023"
    out = []
    t = tl.finding - datetime.timedelta(hours=20)
    while t < tl.recon:  # the shop's own calls, from inside the VPC
        out.append(_event(ids, t, "GetObject", "s3.amazonaws.com", inside, sdk,
                          [("AWS::S3::Object", "example-shop-assets/catalog.json")],
                          params={"bucketName": "example-shop-assets", "key": "catalog.json"}))
        t += datetime.timedelta(hours=2)
    a = tl.privesc + datetime.timedelta(minutes=2)
    ip = story.ATTACKER_IP
    out.append(_event(ids, a, "GetCallerIdentity", "sts.amazonaws.com", ip, cli))
    out.append(_event(ids, a + datetime.timedelta(seconds=20), "ListBuckets", "s3.amazonaws.com",
                      ip, cli))
    out.append(_event(ids, a + datetime.timedelta(seconds=41), "DescribeInstances",
                      "ec2.amazonaws.com", ip, cli, error="Client.UnauthorizedOperation"))
    out.append(_event(ids, a + datetime.timedelta(seconds=63), "ListRoles", "iam.amazonaws.com",
                      ip, cli, error="AccessDenied"))
    out.append(_event(ids, a + datetime.timedelta(seconds=90), "GetObject", "s3.amazonaws.com",
                      ip, cli, [("AWS::S3::Object", "example-shop-assets/config/db.env")],
                      params={"bucketName": "example-shop-assets", "key": "config/db.env"}))
    return out
