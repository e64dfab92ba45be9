"""The scenario's constants: who, where, when. Every piece of the demo takes its facts from here."""
import datetime

REGION = "us-east-1"
AZ1 = "us-east-1a"
AZ2 = "us-east-1b"
VPC_CIDR = "10.0.0.0/16"
SUBNET_AZ1 = "10.0.1.0/24"
SUBNET_AZ2 = "10.0.2.0/24"
FORENSICS_SUBNET_AZ1 = "10.0.101.0/24"
FORENSICS_SUBNET_AZ2 = "10.0.102.0/24"

# Documentation addresses (RFC 5737): never routable.
ATTACKER_IP = "203.0.113.66"
POOL_IP = "203.0.113.50"
POOL_PORT = 3333
C2_PORT = 4444
ALB_NODE_IP_AZ2 = "10.0.2.143"  # the ALB's private address in AZ2: the client in the web logs
ALB_NODE_IP_AZ1 = "10.0.1.87"
WEB2_PRIVATE_IP = "10.0.2.47"
WEB2_HOSTNAME = "ip-10-0-2-47"

SENDER = "casefile@alerts.example.com"
RESPONDERS = ["soc@example.com", "oncall-web@example.com"]
EVIDENCE_BUCKET = "casefile-evidence-demo"
IP_BUCKET = "casefile-malicious-ips-demo"
IP_LIST_KEY = "malicious-ips.jsonl"
QUEUE_NAME = "casefile-findings"
WORKER_AMI_NAME = "casefile-forensic-worker-2026.11"
WEB_ROLE = "web-server-role"
WEB_PROFILE = "web-server-profile"

# Paths on the compromised disk (what the report must find).
WEBROOT = "/var/www/html"
VULN_PAGE = "/var/www/html/ping.php"
WEB_SHELL = "/var/www/html/uploads/.cache.php"
DROPPER = "/tmp/.x/x.sh"
MINER_DIR = "/var/tmp/.x11"
MINER = "/var/tmp/.x11/xmrig"
MINER_CONFIG = "/var/tmp/.x11/config.json"
CRONTAB = "/var/spool/cron/crontabs/www-data"
ROOT_KEYS = "/root/.ssh/authorized_keys"
ATTACKER_KEY_COMMENT = "kali@x"
ACCESS_LOG = "/var/log/nginx/access.log"
AUTH_LOG = "/var/log/auth.log"

# Live traces (volatile collection on this machine).
TRACE_MINER_NAME = "kworkerds"
TRACE_DELETED_NAME = "apache2-update"


class Timeline:
    """The story's clock: the finding arrives at `now`; the attack began about two hours before."""

    def __init__(self, now=None):
        now = now or datetime.datetime.now(datetime.timezone.utc)
        self.finding = now.replace(microsecond=0)
        t0 = self.finding - datetime.timedelta(hours=2, minutes=5)
        self.recon = t0
        self.injection = t0 + datetime.timedelta(minutes=3)
        self.dropper = t0 + datetime.timedelta(minutes=4)
        self.web_shell = t0 + datetime.timedelta(minutes=4, seconds=20)
        self.shell_use = t0 + datetime.timedelta(minutes=6)
        self.privesc = t0 + datetime.timedelta(minutes=9)
        self.miner = t0 + datetime.timedelta(minutes=11)
        self.cron = t0 + datetime.timedelta(minutes=12)
        self.ssh_key = t0 + datetime.timedelta(minutes=13)
        self.dropper_deleted = t0 + datetime.timedelta(minutes=14)
        self.ssh_login = t0 + datetime.timedelta(minutes=40)
        self.install = self.finding - datetime.timedelta(days=60)
        self.deploy = self.finding - datetime.timedelta(days=40)

    def window(self):
        return self.recon - datetime.timedelta(minutes=30), self.finding


def rfc3339(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
