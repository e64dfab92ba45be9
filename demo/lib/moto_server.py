#!/usr/bin/env python3
"""moto_server with one fix the demo depends on (moto 5.2.1).

moto's ssm Command adds the instances matched by its Targets to InstanceIds, but with no Targets it
filters EC2 with an empty filter and so adds *every* instance of the account: a SendCommand to one
instance is listed (ListCommands) as sent to all of them. The instance simulator must know which
instance a command is for, so targets are only expanded when there are targets. Everything else
is moto's own server, unchanged.
"""
import sys

from moto.ssm import models as _ssm_models

_expand = _ssm_models.Command._get_instance_ids_from_targets


def _targets_only(self):
    return _expand(self) if self.targets else []


_ssm_models.Command._get_instance_ids_from_targets = _targets_only

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
