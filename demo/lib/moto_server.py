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
as in AWS). Everything else is moto's own server, unchanged.
"""
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

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
