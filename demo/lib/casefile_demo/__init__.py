"""The casefile demo: a compromised web server's story, played against a local AWS (moto).

Modules:
  procs      child processes that can never outlive us (PR_SET_PDEATHSIG, own process group)
  moto       a private moto_server on a free loopback port
  seed       the AWS account of the scenario (VPC, ALB, web servers, buckets, SES, SQS, AMI)
  image      the compromised web server's disk as a real ext4 image (mke2fs -d, debugfs)
  traces     harmless live attack traces on this machine (reverse shell, deleted binary, miner)
  simulator  plays the SSM agent for the scenario's instances
  state      the account's state read back through boto3 (an independent client)
  story      the scenario's constants (attacker IP, names, times)
"""
