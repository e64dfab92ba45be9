"""The scenario's AWS account, seeded through boto3 into a (moto) endpoint.

A VPC with web subnets in two Availability Zones (and a forensics subnet in each), an internet-facing
Application Load Balancer with one target group and one web server per AZ, a network ACL with allow
rules on the web subnets, security groups, the web servers' instance profile, the evidence and
malicious-IP buckets, verified SES identities, the findings queue and the forensic worker AMI.
Returns a dict of every id the workflow (and the demo's printouts) need.
"""
import json

import boto3
from botocore.config import Config

from . import story

WEB_AMI_NAME = "ubuntu/images/hvm-ssd/ubuntu-xenial-16.04-amd64-server-20170721"


def clients(endpoint, region=story.REGION):
    cfg = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5,
                 read_timeout=30)
    kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id="testing",
              aws_secret_access_key="testing", config=cfg)

    class C:
        pass

    c = C()
    for name in ("ec2", "elbv2", "s3", "ses", "sqs", "iam", "ssm", "sts"):
        setattr(c, name, boto3.client(name, **kw))
    return c


def _tags(name, **extra):
    tags = [{"Key": "Name", "Value": name}, {"Key": "app", "Value": "example-shop"}]
    tags += [{"Key": k, "Value": v} for k, v in extra.items()]
    return tags


def _spec(kind, name, **extra):
    return [{"ResourceType": kind, "Tags": _tags(name, **extra)}]


def seed(endpoint):
    c = clients(endpoint)
    ec2 = c.ec2
    ids = {"region": story.REGION, "endpoint": endpoint}
    ids["account_id"] = c.sts.get_caller_identity()["Account"]

    vpc = ec2.create_vpc(CidrBlock=story.VPC_CIDR,
                         TagSpecifications=_spec("vpc", "shop-vpc"))["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ids.update(vpc_id=vpc, vpc_cidr=story.VPC_CIDR, igw_id=igw)

    def subnet(cidr, az, name, **tags):
        return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az,
                                 TagSpecifications=_spec("subnet", name, **tags))["Subnet"]["SubnetId"]

    ids["subnet_az1"] = subnet(story.SUBNET_AZ1, story.AZ1, "shop-web-1a")
    ids["subnet_az2"] = subnet(story.SUBNET_AZ2, story.AZ2, "shop-web-1b")
    ids["forensics_subnet_az1"] = subnet(story.FORENSICS_SUBNET_AZ1, story.AZ1, "forensics-1a",
                                         **{"casefile:forensics": "true"})
    ids["forensics_subnet_az2"] = subnet(story.FORENSICS_SUBNET_AZ2, story.AZ2, "forensics-1b",
                                         **{"casefile:forensics": "true"})
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for s in ("subnet_az1", "subnet_az2"):
        ec2.associate_route_table(RouteTableId=rt, SubnetId=ids[s])

    # The web subnets' network ACL: allow rules only, from 100 up (casefile denies below them).
    acl = ec2.create_network_acl(VpcId=vpc, TagSpecifications=_spec("network-acl", "shop-web-acl"))
    acl = acl["NetworkAcl"]["NetworkAclId"]
    rules = [(100, False, "6", "0.0.0.0/0", (80, 80)), (110, False, "6", "0.0.0.0/0", (443, 443)),
             (120, False, "6", story.VPC_CIDR, (22, 22)),
             (130, False, "6", "0.0.0.0/0", (1024, 65535)),
             (100, True, "-1", "0.0.0.0/0", None)]
    for num, egress, proto, cidr, ports in rules:
        kw = dict(NetworkAclId=acl, RuleNumber=num, Protocol=proto, RuleAction="allow",
                  Egress=egress, CidrBlock=cidr)
        if ports:
            kw["PortRange"] = {"From": ports[0], "To": ports[1]}
        ec2.create_network_acl_entry(**kw)
    assocs = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                {"Name": "default", "Values": ["true"]}])
    for a in assocs["NetworkAcls"][0]["Associations"]:
        if a["SubnetId"] in (ids["subnet_az1"], ids["subnet_az2"]):
            ec2.replace_network_acl_association(AssociationId=a["NetworkAclAssociationId"],
                                                NetworkAclId=acl)
    ids["network_acl_id"] = acl

    def sg(name, desc):
        return ec2.create_security_group(GroupName=name, Description=desc, VpcId=vpc,
                                         TagSpecifications=_spec("security-group", name))["GroupId"]

    alb_sg = sg("shop-alb", "internet to the load balancer")
    web_sg = sg("shop-web", "load balancer to the web servers")
    mgmt_sg = sg("shop-mgmt", "bastion to the web servers")
    ec2.authorize_security_group_ingress(GroupId=alb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        for p in (80, 443)])
    ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
         "UserIdGroupPairs": [{"GroupId": alb_sg}]}])
    ec2.authorize_security_group_ingress(GroupId=mgmt_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "10.0.1.200/32", "Description": "bastion"}]}])
    ids.update(alb_sg_id=alb_sg, web_sg_id=web_sg, mgmt_sg_id=mgmt_sg)

    # The web servers' role (SSM-managed, like a real fleet).
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "ec2.amazonaws.com"}}]}
    c.iam.create_role(RoleName=story.WEB_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    ssm_core = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Resource": "*",
         "Action": ["ssm:UpdateInstanceInformation", "ssmmessages:*", "ec2messages:*"]},
        {"Effect": "Allow", "Action": ["s3:GetObject"],
         "Resource": "arn:aws:s3:::example-shop-assets/*"}]}
    c.iam.put_role_policy(RoleName=story.WEB_ROLE, PolicyName="ssm-core-and-assets",
                          PolicyDocument=json.dumps(ssm_core))
    prof = c.iam.create_instance_profile(InstanceProfileName=story.WEB_PROFILE)
    c.iam.add_role_to_instance_profile(InstanceProfileName=story.WEB_PROFILE,
                                       RoleName=story.WEB_ROLE)
    ids["web_instance_profile_arn"] = prof["InstanceProfile"]["Arn"]
    ids["web_role"] = story.WEB_ROLE

    images = ec2.describe_images(Filters=[{"Name": "name", "Values": [WEB_AMI_NAME]}])["Images"]
    web_ami = images[0]["ImageId"]
    ids["web_ami"] = web_ami

    def web(subnet_id, name, ip):
        r = ec2.run_instances(ImageId=web_ami, InstanceType="t3.small", MinCount=1, MaxCount=1,
                              SubnetId=subnet_id, PrivateIpAddress=ip,
                              SecurityGroupIds=[web_sg, mgmt_sg],
                              IamInstanceProfile={"Name": story.WEB_PROFILE},
                              TagSpecifications=_spec("instance", name, role="web"))
        return r["Instances"][0]["InstanceId"]

    ids["web_az1"] = web(ids["subnet_az1"], "shop-web-1a", "10.0.1.31")
    ids["web_az2"] = web(ids["subnet_az2"], "shop-web-1b", story.WEB2_PRIVATE_IP)
    # A second interface on the compromised server (monitoring network): isolation is per ENI.
    eni = ec2.create_network_interface(SubnetId=ids["subnet_az2"], Groups=[mgmt_sg],
                                       Description="shop-web-1b monitoring")
    eni = eni["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=ids["web_az2"], DeviceIndex=1)
    ids["web_az2_secondary_eni"] = eni

    lb = c.elbv2.create_load_balancer(Name="shop-alb", Subnets=[ids["subnet_az1"], ids["subnet_az2"]],
                                      SecurityGroups=[alb_sg], Scheme="internet-facing",
                                      Type="application")["LoadBalancers"][0]
    tg = c.elbv2.create_target_group(Name="shop-web", Protocol="HTTP", Port=80, VpcId=vpc,
                                     TargetType="instance", HealthCheckPath="/status.php")
    tg = tg["TargetGroups"][0]["TargetGroupArn"]
    c.elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": ids["web_az1"], "Port": 80},
                                                         {"Id": ids["web_az2"], "Port": 80}])
    c.elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    ids.update(alb_arn=lb["LoadBalancerArn"], alb_dns=lb["DNSName"], target_group_arn=tg)

    for bucket in (story.EVIDENCE_BUCKET, story.IP_BUCKET):
        c.s3.create_bucket(Bucket=bucket)
        c.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    c.s3.put_public_access_block(Bucket=story.EVIDENCE_BUCKET, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True})
    ids.update(evidence_bucket=story.EVIDENCE_BUCKET, ip_bucket=story.IP_BUCKET,
               ip_list_key=story.IP_LIST_KEY)

    c.ses.verify_domain_identity(Domain=story.SENDER.split("@", 1)[1])
    c.ses.verify_email_identity(EmailAddress=story.SENDER)
    for r in story.RESPONDERS:
        c.ses.verify_email_identity(EmailAddress=r)
    ids.update(sender=story.SENDER, responders=list(story.RESPONDERS))

    q = c.sqs.create_queue(QueueName=story.QUEUE_NAME,
                           Attributes={"VisibilityTimeout": "900",
                                       "MessageRetentionPeriod": "1209600"})
    ids["queue_url"] = q["QueueUrl"]

    worker = ec2.register_image(Name=story.WORKER_AMI_NAME, Architecture="x86_64",
                                RootDeviceName="/dev/xvda", VirtualizationType="hvm",
                                Description="casefile forensic worker: casefile, sleuthkit, yara")
    worker = worker["ImageId"]
    ec2.create_tags(Resources=[worker], Tags=[{"Key": "Name", "Value": story.WORKER_AMI_NAME},
                                              {"Key": "casefile:role", "Value": "forensic-worker"}])
    ids["worker_ami"] = worker

    desc = ec2.describe_instances(InstanceIds=[ids["web_az1"], ids["web_az2"]])
    for res in desc["Reservations"]:
        for inst in res["Instances"]:
            key = "web_az1" if inst["InstanceId"] == ids["web_az1"] else "web_az2"
            ids[key + "_volumes"] = [m["Ebs"]["VolumeId"] for m in inst["BlockDeviceMappings"]]
            ids[key + "_enis"] = sorted(n["NetworkInterfaceId"] for n in inst["NetworkInterfaces"])
            ids[key + "_az"] = inst["Placement"]["AvailabilityZone"]
            ids[key + "_primary_eni"] = next(
                n["NetworkInterfaceId"] for n in inst["NetworkInterfaces"]
                if n["Attachment"]["DeviceIndex"] == 0)
    return ids
