/* collect_disk: in the worker's AZ, a volume from each snapshot, a forensic worker instance with
 * its own locked-down security group, the volumes attached, SSM runs `casefile collect disk` on
 * each device; the bundles go to S3 and are verified; then what casefile created is detached,
 * deleted and terminated (unless keep_forensic). Every creation is found again by its tags (and
 * RunInstances/CreateVolume carry client tokens derived from the case), so a re-run after a crash
 * creates nothing twice. */
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_hash.h"
#include "common/cf_json.h"
#include "common/cf_time.h"
#include "workflow/wf_aws.h"
#include "workflow/wf_bundle.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DISKS 16

struct disk {
    char snapshot[64];
    char volume_src[64]; /* the instance's volume the snapshot is of */
    char device_src[64];
    char volume[64]; /* the copy casefile made */
    char device[16]; /* where it is attached on the worker: /dev/sdf ... */
    char prefix[512];
    char dir[4200];
};

static int record_simple(cf_wf *wf, const char *key, const char *call, const char *target,
                         const char *reqid, int rc, const char *detail)
{
    cf_error saved;
    cf_error_save(&saved);
    cf_wf_change_end(wf, "collect_disk", key, call, target, NULL, rc ? saved.request_id : reqid,
                     rc ? "error" : "ok", rc ? saved.msg : detail);
    cf_error_restore(&saved);
    return rc;
}

/* An EC2 call from name/value pairs; r is left for the caller to read (and release). */
static int ec2_kv(cf_wf *wf, const char *action, const char *const *kv, cf_aws_response *r)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = CF_OK;
    for (size_t i = 0; kv[i] && kv[i + 1] && !rc; i += 2)
        rc = cf_aws_params_add(&p, kv[i], kv[i + 1]);
    if (!rc)
        rc = wf_ec2(wf, action, &p, r);
    cf_aws_params_release(&p);
    return rc;
}

/* The first resource of this case with tag casefile:role=role (and, when given, tag extra=value;
 * for instances only pending/running ones): its id in id ("" when none). */
static int find_by_tags(cf_wf *wf, const char *action, const char *set_path, const char *id_elem,
                        const char *role, const char *extra_tag, const char *extra_val,
                        int live_instances, char *id, size_t cap)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    xmlNode *it;
    int rc, f = 3;
    char name[64];
    id[0] = '\0';
    rc = cf_aws_params_add(&p, "Filter.1.Name", "tag:casefile:case");
    if (!rc)
        rc = cf_aws_params_add(&p, "Filter.1.Value.1", wf->case_id);
    if (!rc)
        rc = cf_aws_params_add(&p, "Filter.2.Name", "tag:casefile:role");
    if (!rc)
        rc = cf_aws_params_add(&p, "Filter.2.Value.1", role);
    if (!rc && extra_tag) {
        snprintf(name, sizeof(name), "Filter.%d.Name", f);
        rc = cf_aws_params_add(&p, name, extra_tag);
        snprintf(name, sizeof(name), "Filter.%d.Value.1", f++);
        if (!rc)
            rc = cf_aws_params_add(&p, name, extra_val);
    }
    if (!rc && live_instances) {
        snprintf(name, sizeof(name), "Filter.%d.Name", f);
        rc = cf_aws_params_add(&p, name, "instance-state-name");
        snprintf(name, sizeof(name), "Filter.%d.Value.1", f);
        if (!rc)
            rc = cf_aws_params_add(&p, name, "pending");
        snprintf(name, sizeof(name), "Filter.%d.Value.2", f);
        if (!rc)
            rc = cf_aws_params_add(&p, name, "running");
    }
    if (!rc)
        rc = wf_ec2(wf, action, &p, &r);
    if (!rc) {
        it = cf_xml_path(xmlDocGetRootElement(r.xml), set_path);
        if (it)
            snprintf(id, cap, "%s", wf_xml(it, id_elem));
    }
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}

static int wait_volume(cf_wf *wf, const char *vol, const char *want, const char *attach_state,
                       int64_t deadline)
{
    for (;;) {
        cf_aws_response r = CF_AWS_RESPONSE_INIT;
        const char *kv[] = {"VolumeId.1", vol, NULL};
        char state[32] = "", att[32] = "";
        int rc = ec2_kv(wf, "DescribeVolumes", kv, &r);
        if (!rc) {
            xmlNode *v = cf_xml_path(xmlDocGetRootElement(r.xml), "volumeSet/item");
            snprintf(state, sizeof(state), "%s", wf_xml(v, "status"));
            snprintf(att, sizeof(att), "%s", wf_xml(v, "attachmentSet/item/status"));
        }
        cf_aws_response_release(&r);
        if (rc)
            return rc;
        if (!strcmp(state, want) && (!attach_state || !strcmp(att, attach_state)))
            return CF_OK;
        /* "ready": a new copy that is available, or one an earlier run already attached. */
        if (!strcmp(want, "ready") && (!strcmp(state, "available") || !strcmp(state, "in-use")))
            return CF_OK;
        if (cf_time_monotonic() > deadline)
            return cf_error_set(CF_ETIMEOUT, "volume %s still %s/%s, not %s", vol, state, att,
                                want);
        wf_sleep_ms(wf->cfg->poll_interval_ms);
    }
}

static int wait_instance(cf_wf *wf, const char *id, const char *want, int64_t deadline)
{
    for (;;) {
        cf_aws_response r = CF_AWS_RESPONSE_INIT;
        const char *kv[] = {"InstanceId.1", id, NULL};
        char state[32] = "";
        int rc = ec2_kv(wf, "DescribeInstances", kv, &r);
        if (!rc)
            snprintf(state, sizeof(state), "%s",
                     wf_xml(xmlDocGetRootElement(r.xml),
                            "reservationSet/item/instancesSet/item/instanceState/name"));
        cf_aws_response_release(&r);
        if (rc)
            return rc;
        if (!strcmp(state, want))
            return CF_OK;
        if (cf_time_monotonic() > deadline)
            return cf_error_set(CF_ETIMEOUT, "instance %s still %s, not %s", id, state, want);
        wf_sleep_ms(wf->cfg->poll_interval_ms);
    }
}

/* The worker's subnet, its AZ and VPC. */
static int worker_subnet(cf_wf *wf, json_t *tri, char *subnet, char *az, char *vpc, size_t cap)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    const char *s = wf->cfg->forensic_subnet ? wf->cfg->forensic_subnet
                                             : json_string_value(json_object_get(tri, "subnet_id"));
    const char *kv[] = {"SubnetId.1", s, NULL};
    xmlNode *it;
    int rc;
    if (!s || !*s)
        return cf_error_set(CF_EINVAL, "no subnet for the forensic worker");
    snprintf(subnet, cap, "%s", s);
    if ((rc = ec2_kv(wf, "DescribeSubnets", kv, &r)))
        goto cleanup;
    it = cf_xml_path(xmlDocGetRootElement(r.xml), "subnetSet/item");
    snprintf(az, cap, "%s", wf_xml(it, "availabilityZone"));
    snprintf(vpc, cap, "%s", wf_xml(it, "vpcId"));
cleanup:
    cf_aws_response_release(&r);
    return rc;
}

/* The worker's own group: nothing in, only HTTPS out (SSM and S3). */
static int forensic_group(cf_wf *wf, const char *vpc, char *gid, size_t cap)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    char name[128], key[256], reqid[128];
    const char *kvd[] = {"Filter.1.Name",
                         "group-name",
                         "Filter.1.Value.1",
                         name,
                         "Filter.2.Name",
                         "vpc-id",
                         "Filter.2.Value.1",
                         vpc,
                         NULL};
    xmlNode *g;
    int rc, has_https = 0, has_other = 0;
    snprintf(name, sizeof(name), "casefile-forensic-%s", vpc);
    gid[0] = '\0';
    if ((rc = ec2_kv(wf, "DescribeSecurityGroups", kvd, &r)))
        goto cleanup;
    g = cf_xml_path(xmlDocGetRootElement(r.xml), "securityGroupInfo/item");
    if (g) {
        xmlNode *p;
        snprintf(gid, cap, "%s", wf_xml(g, "groupId"));
        CF_XML_FOREACH(p, cf_xml_child(g, "ipPermissionsEgress"), "item")
        {
            if (!strcmp(wf_xml(p, "fromPort"), "443"))
                has_https = 1;
            else
                has_other = 1;
        }
    }
    cf_aws_response_release(&r);
    if (!*gid) {
        const char *kv[] = {"GroupName",
                            name,
                            "GroupDescription",
                            "casefile forensic worker: no inbound, HTTPS out",
                            "VpcId",
                            vpc,
                            NULL};
        snprintf(key, sizeof(key), "sg-create:%s:%s", vpc, name);
        if ((rc = ec2_kv(wf, "CreateSecurityGroup", kv, &r)) == CF_OK)
            snprintf(gid, cap, "%s", wf_xml(xmlDocGetRootElement(r.xml), "groupId"));
        snprintf(reqid, sizeof(reqid), "%s", r.request_id);
        cf_aws_response_release(&r);
        if (record_simple(wf, key, "ec2:CreateSecurityGroup", vpc, reqid, rc, gid))
            goto cleanup;
        {
            const char *kt[] = {"ResourceId.1",
                                gid,
                                "Tag.1.Key",
                                "casefile:case",
                                "Tag.1.Value",
                                wf->case_id,
                                "Tag.2.Key",
                                "casefile:role",
                                "Tag.2.Value",
                                "forensic-worker",
                                NULL};
            rc = ec2_kv(wf, "CreateTags", kt, &r);
            cf_aws_response_release(&r);
            if (rc)
                goto cleanup;
        }
        has_other = 1; /* the default allow-all egress rule */
    }
    if (has_other) {
        const char *kv[] = {"GroupId",
                            gid,
                            "IpPermissions.1.IpProtocol",
                            "-1",
                            "IpPermissions.1.IpRanges.1.CidrIp",
                            "0.0.0.0/0",
                            NULL};
        snprintf(key, sizeof(key), "sg-close-out:%s", gid);
        rc = ec2_kv(wf, "RevokeSecurityGroupEgress", kv, &r);
        snprintf(reqid, sizeof(reqid), "%s", r.request_id);
        cf_aws_response_release(&r);
        if (rc && cf_aws_error_is("InvalidPermission.NotFound"))
            rc = CF_OK;
        if (record_simple(wf, key, "ec2:RevokeSecurityGroupEgress", gid, reqid, rc,
                          "worker group: default egress removed"))
            goto cleanup;
    }
    if (!has_https) {
        const char *kv[] = {"GroupId",
                            gid,
                            "IpPermissions.1.IpProtocol",
                            "tcp",
                            "IpPermissions.1.FromPort",
                            "443",
                            "IpPermissions.1.ToPort",
                            "443",
                            "IpPermissions.1.IpRanges.1.CidrIp",
                            "0.0.0.0/0",
                            NULL};
        snprintf(key, sizeof(key), "sg-https-out:%s", gid);
        rc = ec2_kv(wf, "AuthorizeSecurityGroupEgress", kv, &r);
        snprintf(reqid, sizeof(reqid), "%s", r.request_id);
        cf_aws_response_release(&r);
        if (record_simple(wf, key, "ec2:AuthorizeSecurityGroupEgress", gid, reqid, rc,
                          "worker group: HTTPS out only"))
            goto cleanup;
    }
cleanup:
    cf_aws_response_release(&r);
    return rc;
}

static int make_volume(cf_wf *wf, struct disk *d, const char *az, int64_t deadline)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    char key[256], seed[256], token[CF_AWS_TOKEN_MAX], reqid[128] = "";
    const char *extra[] = {"casefile:role",
                           "forensic-copy",
                           "casefile:snapshot",
                           d->snapshot,
                           "casefile:volume",
                           d->volume_src,
                           NULL};
    int rc;
    if ((rc = find_by_tags(wf, "DescribeVolumes", "volumeSet/item", "volumeId", "forensic-copy",
                           "tag:casefile:snapshot", d->snapshot, 0, d->volume, sizeof(d->volume))))
        return rc;
    snprintf(key, sizeof(key), "volume:%s", d->snapshot);
    if (!*d->volume) {
        snprintf(seed, sizeof(seed), "%s/collect_disk/volume/%s", wf->case_id, d->snapshot);
        cf_aws_client_token(seed, token);
        rc = cf_aws_params_add(&p, "SnapshotId", d->snapshot);
        if (!rc)
            rc = cf_aws_params_add(&p, "AvailabilityZone", az);
        if (!rc)
            rc = cf_aws_params_add(&p, "VolumeType", "gp3");
        if (!rc)
            rc = cf_aws_params_add(&p, "ClientToken", token);
        if (!rc)
            rc = wf_add_case_tags(wf, &p, "TagSpecification.1", "volume", extra);
        if (!rc)
            rc = wf_ec2(wf, "CreateVolume", &p, &r);
        if (!rc)
            snprintf(d->volume, sizeof(d->volume), "%s",
                     wf_xml(xmlDocGetRootElement(r.xml), "volumeId"));
        snprintf(reqid, sizeof(reqid), "%s", r.request_id);
        cf_aws_response_release(&r);
        cf_aws_params_release(&p);
        if (record_simple(wf, key, "ec2:CreateVolume", d->snapshot, reqid, rc, d->volume))
            return rc;
        cf_wf_progress(wf, "collect_disk", "volume %s from %s in %s", d->volume, d->snapshot, az);
    }
    return CF_OK;
}

static int make_worker(cf_wf *wf, const char *subnet, const char *gid, char *worker, size_t cap,
                       int64_t deadline)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    char seed[256], token[CF_AWS_TOKEN_MAX], reqid[128] = "";
    const char *extra[] = {"casefile:role", "forensic-worker", NULL};
    int rc;
    if ((rc = find_by_tags(wf, "DescribeInstances", "reservationSet/item/instancesSet/item",
                           "instanceId", "forensic-worker", NULL, NULL, 1, worker, cap)))
        return rc;
    if (!*worker) {
        snprintf(seed, sizeof(seed), "%s/collect_disk/worker", wf->case_id);
        cf_aws_client_token(seed, token);
        rc = cf_aws_params_add(&p, "ImageId", wf->cfg->forensic_ami);
        if (!rc)
            rc = cf_aws_params_add(&p, "InstanceType", wf->cfg->forensic_instance_type);
        if (!rc)
            rc = cf_aws_params_add(&p, "MinCount", "1");
        if (!rc)
            rc = cf_aws_params_add(&p, "MaxCount", "1");
        if (!rc)
            rc = cf_aws_params_add(&p, "SubnetId", subnet);
        if (!rc)
            rc = cf_aws_params_add(&p, "SecurityGroupId.1", gid);
        if (!rc)
            rc = cf_aws_params_add(&p, "ClientToken", token);
        if (!rc)
            rc = cf_aws_params_add(&p, "MetadataOptions.HttpTokens", "required");
        if (!rc)
            rc = cf_aws_params_add(&p, "InstanceInitiatedShutdownBehavior", "terminate");
        if (!rc && wf->cfg->forensic_profile)
            rc = cf_aws_params_add(&p, "IamInstanceProfile.Name", wf->cfg->forensic_profile);
        if (!rc)
            rc = wf_add_case_tags(wf, &p, "TagSpecification.1", "instance", extra);
        if (!rc)
            rc = wf_ec2(wf, "RunInstances", &p, &r);
        if (!rc)
            snprintf(worker, cap, "%s",
                     wf_xml(xmlDocGetRootElement(r.xml), "instancesSet/item/instanceId"));
        snprintf(reqid, sizeof(reqid), "%s", r.request_id);
        cf_aws_response_release(&r);
        cf_aws_params_release(&p);
        if (record_simple(wf, "worker", "ec2:RunInstances", wf->cfg->forensic_ami, reqid, rc,
                          worker))
            return rc;
        cf_wf_progress(wf, "collect_disk", "forensic worker %s (%s) in %s", worker,
                       wf->cfg->forensic_ami, subnet);
    }
    return wait_instance(wf, worker, "running", deadline);
}

static int attach(cf_wf *wf, struct disk *d, const char *worker, int64_t deadline)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    const char *kv[] = {"VolumeId.1", d->volume, NULL};
    char on[64] = "", dev[16] = "", key[128], reqid[128] = "";
    int rc;
    if ((rc = ec2_kv(wf, "DescribeVolumes", kv, &r)))
        goto cleanup;
    {
        xmlNode *a = cf_xml_path(xmlDocGetRootElement(r.xml), "volumeSet/item/attachmentSet/item");
        snprintf(on, sizeof(on), "%s", wf_xml(a, "instanceId"));
        snprintf(dev, sizeof(dev), "%s", wf_xml(a, "device"));
    }
    cf_aws_response_release(&r);
    if (!strcmp(on, worker)) {
        snprintf(d->device, sizeof(d->device), "%s", dev);
    } else {
        const char *ka[] = {"VolumeId", d->volume, "InstanceId", worker, "Device", d->device, NULL};
        snprintf(key, sizeof(key), "attach:%s", d->volume);
        rc = ec2_kv(wf, "AttachVolume", ka, &r);
        snprintf(reqid, sizeof(reqid), "%s", r.request_id);
        cf_aws_response_release(&r);
        if (record_simple(wf, key, "ec2:AttachVolume", d->volume, reqid, rc, d->device))
            goto cleanup;
        cf_wf_progress(wf, "collect_disk", "%s attached to %s as %s", d->volume, worker, d->device);
    }
    rc = wait_volume(wf, d->volume, "in-use", "attached", deadline);
cleanup:
    cf_aws_response_release(&r);
    return rc;
}

static int presign_put(cf_wf *wf, const char *bucket, const char *key, char **url)
{
    cf_buf path = CF_BUF_INIT(4096);
    int rc = cf_buf_addch(&path, '/');
    if (!rc)
        rc = cf_aws_uri_encode(&path, key, strlen(key), 1);
    if (!rc)
        rc = cf_aws_presign(wf->aws, &cf_aws_svc_s3, "PUT", bucket, cf_buf_cstr(&path), NULL,
                            wf->cfg->presign_ttl_s, url);
    cf_buf_release(&path);
    return rc;
}

/* The disk script of docs/contracts.md: per volume, find the device (Nitro by-id, then the
 * AttachVolume name and its xvd alias, all under ${CASEFILE_SIM_ROOT}), run the collector on it
 * read-only, tar with the manifest last, upload tar then manifest. */
static int disk_script(cf_wf *wf, struct disk *d, size_t n, const char *bucket, cf_buf *out)
{
    int rc = cf_buf_addstr(out, "set -eu\n"
                                "R=\"${CASEFILE_SIM_ROOT:-}\"\n"
                                "T=$(mktemp -d)\n"
                                "trap 'rm -rf \"$T\"' EXIT\n"
                                "collect() {\n"
                                "  vol=$1; dev=$2; put_tar=$3; put_man=$4; out=\"$T/$vol\"\n"
                                "  id=$(echo \"$vol\" | sed 's/^vol-//')\n"
                                "  xvd=$(echo \"$dev\" | sed 's,/dev/sd,/dev/xvd,')\n"
                                "  for c in \"$R/dev/disk/by-id/"
                                "nvme-Amazon_Elastic_Block_Store_vol$id\" \"$R$dev\" \"$R$xvd\";"
                                " do\n"
                                "    if [ -e \"$c\" ]; then d=$c; break; fi\n"
                                "  done\n"
                                "  [ -n \"${d:-}\" ] || { echo \"no device for $vol\" >&2; "
                                "return 1; }\n"
                                "  casefile collect disk \"$d\" --out \"$out\" --case-id '");
    if (!rc)
        rc = cf_buf_addf(out,
                         "%s' --instance-id '%s'\n"
                         "  cd \"$out\"\n"
                         "  set --\n"
                         "  for f in * .[!.]*; do [ -e \"$f\" ] && [ \"$f\" != manifest.json ] && "
                         "set -- \"$@\" \"$f\"; done\n"
                         "  tar -cf \"$T/$vol.tar\" \"$@\" manifest.json\n"
                         "  curl -fsS -X PUT -T \"$T/$vol.tar\" \"$put_tar\"\n"
                         "  curl -fsS -X PUT -T manifest.json \"$put_man\"\n"
                         "  cd /\n"
                         "  unset d\n"
                         "}\n",
                         wf->case_id, wf->finding.instance_id);
    for (size_t i = 0; i < n && !rc; i++) {
        char k_tar[600], k_man[600], *u_tar = NULL, *u_man = NULL;
        snprintf(k_tar, sizeof(k_tar), "%sbundle.tar", d[i].prefix);
        snprintf(k_man, sizeof(k_man), "%smanifest.json", d[i].prefix);
        rc = presign_put(wf, bucket, k_tar, &u_tar);
        if (!rc)
            rc = presign_put(wf, bucket, k_man, &u_man);
        if (!rc)
            rc = cf_buf_addf(out, "collect '%s' '%s' '%s' '%s'\n", d[i].volume, d[i].device, u_tar,
                             u_man);
        free(u_tar);
        free(u_man);
    }
    return rc;
}

static int send_disk_command(cf_wf *wf, const char *worker, const char *script, char *cmd_id,
                             size_t cap)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    char comment[128], reqid[128] = "";
    json_t *body = NULL, *c;
    size_t i;
    int rc;
    snprintf(comment, sizeof(comment), "casefile %.80s disk", wf->case_id);
    cmd_id[0] = '\0';
    /* Look first: a command this case already sent to this worker. */
    body = json_pack("{s:s,s:i}", "InstanceId", worker, "MaxResults", 50);
    rc = cf_aws_json(wf->aws, &cf_aws_svc_ssm, "ListCommands", body, &r);
    json_decref(body);
    if (rc) {
        cf_error_wrap("SSM ListCommands");
        goto cleanup;
    }
    json_array_foreach(json_object_get(r.json, "Commands"), i, c)
    {
        const char *cm = json_string_value(json_object_get(c, "Comment"));
        if (cm && !strcmp(cm, comment))
            snprintf(cmd_id, cap, "%s", json_string_value(json_object_get(c, "CommandId")));
    }
    cf_aws_response_release(&r);
    if (*cmd_id)
        goto cleanup;
    body = json_pack("{s:s,s:[s],s:{s:[s],s:[s]},s:s,s:i}", "DocumentName", "AWS-RunShellScript",
                     "InstanceIds", worker, "Parameters", "commands", script, "executionTimeout",
                     "3600", "Comment", comment, "TimeoutSeconds", 600);
    rc = cf_aws_json(wf->aws, &cf_aws_svc_ssm, "SendCommand", body, &r);
    json_decref(body);
    if (!rc)
        snprintf(cmd_id, cap, "%s",
                 cf_json_str(r.json, "Command.CommandId") ? cf_json_str(r.json, "Command.CommandId")
                                                          : "");
    else
        cf_error_wrap("SSM SendCommand");
    snprintf(reqid, sizeof(reqid), "%s", r.request_id);
    record_simple(wf, "ssm:disk", "ssm:SendCommand", worker, reqid, rc, cmd_id);
    if (!rc)
        cf_wf_progress(wf, "collect_disk", "SSM command %s sent to %s", cmd_id, worker);
cleanup:
    cf_aws_response_release(&r);
    return rc;
}

static int fetch_verify(cf_wf *wf, struct disk *d, const char *bucket, int64_t deadline,
                        int *n_files)
{
    char k_man[600], k_tar[600], tarp[4300], uri[1024], name[96];
    int rc;
    snprintf(k_man, sizeof(k_man), "%smanifest.json", d->prefix);
    snprintf(k_tar, sizeof(k_tar), "%sbundle.tar", d->prefix);
    while ((rc = wf_s3_head(wf, bucket, k_man)) == CF_ENOTFOUND) {
        if (cf_time_monotonic() > deadline)
            return cf_error_set(CF_ETIMEOUT,
                                "no disk bundle for %s after %d s (s3://%s/%s): disk evidence "
                                "NOT collected; the snapshots are preserved",
                                d->volume_src, wf->cfg->disk_timeout_s, bucket, k_man);
        wf_sleep_ms(wf->cfg->poll_interval_ms);
    }
    if (rc)
        return rc;
    snprintf(d->dir, sizeof(d->dir), "%s/evidence/disk-%s", wf->case_dir, d->volume_src);
    if ((rc = cf_fs_remove_tree(d->dir)) || (rc = cf_fs_mkdirs(d->dir, 0750)))
        return rc;
    snprintf(tarp, sizeof(tarp), "%s/bundle.tar", d->dir);
    if ((rc = wf_s3_get_file(wf, bucket, k_tar, tarp)))
        return rc;
    snprintf(d->dir, sizeof(d->dir), "%s/evidence/disk-%s/bundle", wf->case_dir, d->volume_src);
    if ((rc = wf_tar_extract(tarp, d->dir, 256ull << 30)))
        return rc;
    snprintf(uri, sizeof(uri), "s3://%s/%s", bucket, d->prefix);
    snprintf(name, sizeof(name), "disk-%s", d->volume_src);
    pthread_mutex_lock(&wf->lock);
    rc = wf_bundle_verify(wf->cs, d->dir, name, "disk", uri, n_files);
    pthread_mutex_unlock(&wf->lock);
    return rc;
}

static int cleanup_created(cf_wf *wf, struct disk *d, size_t n, const char *worker,
                           int64_t deadline)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    char key[128], reqid[128];
    int rc = CF_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *kv[] = {"VolumeId", d[i].volume, NULL};
        const char *kd[] = {"VolumeId", d[i].volume, "InstanceId", worker,
                            "Device",   d[i].device, NULL};
        if (!*d[i].volume)
            continue;
        snprintf(key, sizeof(key), "detach:%s", d[i].volume);
        if (cf_wf_change_begin(wf, "collect_disk", key, "ec2:DetachVolume", d[i].volume,
                               "detach the copy", NULL) == 0) {
            rc = ec2_kv(wf, "DetachVolume", *worker ? kd : kv, &r);
            if (rc && (cf_aws_error_is("IncorrectState") ||
                       cf_aws_error_is("InvalidAttachment.NotFound")))
                rc = CF_OK; /* already detached */
            snprintf(reqid, sizeof(reqid), "%s", r.request_id);
            cf_aws_response_release(&r);
            record_simple(wf, key, "ec2:DetachVolume", d[i].volume, reqid, rc, "detached");
        }
        if (!rc)
            rc = wait_volume(wf, d[i].volume, "available", NULL, deadline);
        snprintf(key, sizeof(key), "delete:%s", d[i].volume);
        if (!rc && cf_wf_change_begin(wf, "collect_disk", key, "ec2:DeleteVolume", d[i].volume,
                                      "delete the copy", NULL) == 0) {
            rc = ec2_kv(wf, "DeleteVolume", kv, &r);
            snprintf(reqid, sizeof(reqid), "%s", r.request_id);
            cf_aws_response_release(&r);
            record_simple(wf, key, "ec2:DeleteVolume", d[i].volume, reqid, rc, "deleted");
        }
    }
    if (!rc && *worker &&
        cf_wf_change_begin(wf, "collect_disk", "terminate-worker", "ec2:TerminateInstances", worker,
                           "terminate the forensic worker", NULL) == 0) {
        const char *kv[] = {"InstanceId.1", worker, NULL};
        rc = ec2_kv(wf, "TerminateInstances", kv, &r);
        snprintf(reqid, sizeof(reqid), "%s", r.request_id);
        cf_aws_response_release(&r);
        record_simple(wf, "terminate-worker", "ec2:TerminateInstances", worker, reqid, rc,
                      "terminated");
        if (!rc)
            cf_wf_progress(wf, "collect_disk", "forensic worker %s terminated, copies deleted",
                           worker);
    }
    return rc;
}

int cf_wf_step_collect_disk(cf_wf *wf, json_t *out)
{
    json_t *tri = cf_wf_output(wf, "triage"), *snap = cf_wf_output(wf, "snapshot"), *s;
    const char *bucket = wf->cfg->evidence_bucket;
    struct disk *d = NULL;
    char subnet[64], az[64], vpc[64], gid[64] = "", worker[64] = "", cmd_id[128] = "";
    cf_buf script = CF_BUF_INIT(256 * 1024);
    json_t *bundles = json_array(), *disks = json_array();
    size_t n = 0, i;
    int64_t deadline;
    int rc = CF_OK, n_files = 0, total_files = 0;
    cf_error first = {0};
    if (wf->cfg->skip_disk || !wf->cfg->forensic_ami || !bucket) {
        json_object_set_new(out, "skipped",
                            json_string(wf->cfg->skip_disk       ? "skip_disk is set"
                                        : !wf->cfg->forensic_ami ? "no forensic_ami configured"
                                                                 : "no evidence_bucket "
                                                                   "configured"));
        goto done;
    }
    if (!json_array_size(json_object_get(snap, "snapshots"))) {
        json_object_set_new(out, "skipped", json_string("no snapshot to collect from"));
        goto done;
    }
    if (wf->dry_run) {
        cf_wf_progress(wf, "collect_disk",
                       "would create a volume per snapshot, a forensic worker from %s, run "
                       "casefile collect disk through SSM, then delete what it created",
                       wf->cfg->forensic_ami);
        json_object_set_new(out, "skipped", json_string("dry run"));
        goto done;
    }
    d = calloc(MAX_DISKS, sizeof(*d));
    if (!d) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto done;
    }
    json_array_foreach(json_object_get(snap, "snapshots"), i, s)
    {
        if (n >= MAX_DISKS)
            break;
        snprintf(d[n].snapshot, sizeof(d[n].snapshot), "%s",
                 json_string_value(json_object_get(s, "snapshot_id")));
        snprintf(d[n].volume_src, sizeof(d[n].volume_src), "%s",
                 json_string_value(json_object_get(s, "volume_id")));
        snprintf(d[n].device_src, sizeof(d[n].device_src), "%s",
                 json_string_value(json_object_get(s, "device")));
        snprintf(d[n].device, sizeof(d[n].device), "/dev/sd%c", (char)('f' + n));
        snprintf(d[n].prefix, sizeof(d[n].prefix), "cases/%s/%s/disk/%s/", wf->case_id,
                 wf->finding.instance_id, d[n].volume_src);
        n++;
    }
    deadline = cf_time_monotonic() + (int64_t)wf->cfg->disk_timeout_s * CF_NS_PER_SEC;
    {
        /* Every bundle already in S3 (an earlier run collected them, then stopped): verify them
         * and clean up whatever is left, without creating anything. */
        size_t have = 0;
        for (i = 0; i < n; i++) {
            char k[600];
            snprintf(k, sizeof(k), "%smanifest.json", d[i].prefix);
            have += wf_s3_head(wf, bucket, k) == CF_OK;
        }
        cf_error_clear();
        if (have == n) {
            for (i = 0; i < n && !rc; i++)
                rc = find_by_tags(wf, "DescribeVolumes", "volumeSet/item", "volumeId",
                                  "forensic-copy", "tag:casefile:snapshot", d[i].snapshot, 0,
                                  d[i].volume, sizeof(d[i].volume));
            if (!rc)
                rc = find_by_tags(wf, "DescribeInstances", "reservationSet/item/instancesSet/item",
                                  "instanceId", "forensic-worker", NULL, NULL, 1, worker,
                                  sizeof(worker));
            if (rc)
                goto done;
            goto collected;
        }
    }
    if ((rc = worker_subnet(wf, tri, subnet, az, vpc, sizeof(subnet))))
        goto done;
    for (i = 0; i < n && !rc; i++)
        rc = make_volume(wf, &d[i], az, deadline);
    for (i = 0; i < n && !rc; i++)
        rc = wait_volume(wf, d[i].volume, "ready", NULL, deadline);
    if (rc)
        goto cleanup_aws;
    if ((rc = forensic_group(wf, vpc, gid, sizeof(gid))))
        goto cleanup_aws;
    if ((rc = make_worker(wf, subnet, gid, worker, sizeof(worker), deadline)))
        goto cleanup_aws;
    json_object_set_new(out, "worker", json_string(worker));
    for (i = 0; i < n && !rc; i++)
        rc = attach(wf, &d[i], worker, deadline);
    if (rc)
        goto cleanup_aws;
    if ((rc = disk_script(wf, d, n, bucket, &script)))
        goto cleanup_aws;
    if ((rc = send_disk_command(wf, worker, cf_buf_cstr(&script), cmd_id, sizeof(cmd_id))))
        goto cleanup_aws;
    json_object_set_new(out, "command_id", json_string(cmd_id));
collected:
    for (i = 0; i < n; i++) {
        int r = fetch_verify(wf, &d[i], bucket, deadline, &n_files);
        total_files += n_files;
        json_array_append_new(disks,
                              json_pack("{s:s,s:s,s:s,s:s,s:i}", "volume_id", d[i].volume_src,
                                        "snapshot_id", d[i].snapshot, "copy", d[i].volume, "device",
                                        d[i].device, "files_verified", n_files));
        if (r == CF_OK) {
            json_array_append_new(bundles, json_string(d[i].dir));
            cf_wf_progress(wf, "collect_disk", "%s: bundle verified, %d file(s)", d[i].volume_src,
                           n_files);
        } else if (!rc) {
            cf_error_save(&first);
            rc = r;
        }
    }
cleanup_aws:
    /* Whatever happened, what casefile created goes away (unless kept): a failed collection
     * must not leave a worker with the evidence attached. The snapshots stay. */
    if (!wf->cfg->keep_forensic) {
        cf_error saved;
        int crc;
        cf_error_save(&saved);
        crc = cleanup_created(wf, d, n, worker, deadline + 600 * CF_NS_PER_SEC);
        if (rc) {
            cf_error_restore(rc == first.code && first.code ? &first : &saved);
        } else {
            rc = crc;
        }
    }
    json_object_set_new(out, "files_verified", json_integer(total_files));
done:
    json_object_set(out, "bundles", bundles);
    json_object_set(out, "disks", disks);
    json_decref(bundles);
    json_decref(disks);
    cf_buf_release(&script);
    free(d);
    return rc;
}
