#!/usr/bin/env python3
"""moto_server with one fix the demo depends on (moto 5.2.1).

moto's ssm Command adds the instances matched by its Targets to InstanceIds, but with no Targets it
filters EC2 with an empty filter and so adds *every* instance of the account: a SendCommand to one
instance is listed (ListCommands) as sent to all of them. The instance simulator must know which
instance a command is for, so targets are only expanded when there are targets.

moto also reports an attached ENI's security groups as its own groups *plus* the instance's, so a
secondary interface shows groups it never had, and an interface moved to an isolation group with
ModifyNetworkInterfaceAttribute keeps showing its old groups. AWS reports the interface's own groups;
so does this server (and ModifyInstanceAttribute's group change applies to the primary interface,
as in AWS).

moto has no cloudtrail:LookupEvents. This server answers it from the JSON file named by
CF_DEMO_CLOUDTRAIL (a list of LookupEvents "Events" entries, re-read on every call; none when
unset): filtered by one LookupAttribute (Username, ResourceName, EventName, EventId, EventSource,
AccessKeyId, ReadOnly, ResourceType), StartTime/EndTime, newest first, MaxResults (<= 50) and
NextToken. Everything else is moto's own server, unchanged.
"""
import json
import os
import sys

from moto.ssm import models as _ssm_models

_expand = _ssm_models.Command._get_instance_ids_from_targets


def _targets_only(self):
    return _expand(self) if self.targets else []


_ssm_models.Command._get_instance_ids_from_targets = _targets_only


def _patch_eni_groups():
    from moto.ec2.models import elastic_network_interfaces as eni_models
    from moto.ec2.models import instances as inst_models

    def group_set(self):
        if self._group_set or not self.instance:
            return self._group_set
        return self.instance.security_groups

    eni_models.NetworkInterface.group_set = property(group_set)
    original = inst_models.InstanceBackend.modify_instance_security_groups

    def modify_instance_security_groups(self, instance_id, new_group_id_list):
        instance = original(self, instance_id, new_group_id_list)
        primary = instance.nics.get(0)
        if primary is not None:
            primary._group_set = list(instance.security_groups)
        return instance

    inst_models.InstanceBackend.modify_instance_security_groups = modify_instance_security_groups


_patch_eni_groups()


def _epoch(v):
    """A JSON-protocol timestamp: epoch seconds (number or text) or ISO 8601."""
    if v is None or v == "":
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        import datetime

        return datetime.datetime.fromisoformat(str(v).replace("Z", "+00:00")).timestamp()


def _lookup_events(self):
    path = os.environ.get("CF_DEMO_CLOUDTRAIL")
    events = []
    if path and os.path.exists(path):
        with open(path) as f:
            events = json.load(f)
    attrs = self._get_param("LookupAttributes") or []
    start = _epoch(self._get_param("StartTime"))
    end = _epoch(self._get_param("EndTime"))
    try:
        limit = max(1, min(int(self._get_param("MaxResults") or 50), 50))
    except ValueError:
        limit = 50
    try:
        offset = int(self._get_param("NextToken") or 0)
    except ValueError:
        offset = 0

    def matches(ev):
        for a in attrs:
            key, value = a.get("AttributeKey"), a.get("AttributeValue")
            if key == "ResourceName":
                if value not in [r.get("ResourceName") for r in ev.get("Resources", [])]:
                    return False
            elif key == "ResourceType":
                if value not in [r.get("ResourceType") for r in ev.get("Resources", [])]:
                    return False
            elif str(ev.get(key)) != str(value):
                return False
        t = float(ev.get("EventTime", 0))
        if start is not None and t < start:
            return False
        if end is not None and t > end:
            return False
        return True

    hits = sorted((e for e in events if matches(e)), key=lambda e: -float(e.get("EventTime", 0)))
    page = hits[offset:offset + limit]
    body = {"Events": page}
    if offset + limit < len(hits):
        body["NextToken"] = str(offset + limit)
    return json.dumps(body)


def _patch_cloudtrail():
    from moto.cloudtrail.responses import CloudTrailResponse

    CloudTrailResponse.lookup_events = _lookup_events


_patch_cloudtrail()

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
