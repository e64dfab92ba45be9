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
#include "aws/s3.h"
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

/* The first resource of this case with tag casefile:role=role (and, when given, tag extra=value;
 * for instances only pending/running ones): its id in id ("" when none). */
static int find_by_tags(cf_wf *wf, int instances, const char *role, const char *extra_tag,
                        const char *extra_val, char *id, size_t cap)
{
    const char *case_v[] = {wf->case_id}, *role_v[] = {role}, *extra_v[] = {extra_val};
    const char *live_v[] = {"pending", "running"};
    cf_ec2_filter f[4] = {{"tag:casefile:case", case_v, 1}, {"tag:casefile:role", role_v, 1}};
    cf_ec2_query q = {NULL, 0, f, 2, 0};
    int rc;
    id[0] = '\0';
    if (extra_tag)
        f[q.n_filters++] = (cf_ec2_filter){extra_tag, extra_v, 1};
    if (instances)
        f[q.n_filters++] = (cf_ec2_filter){"instance-state-name", live_v, 2};
    if (instances) {
        cf_ec2_instance_list *l = NULL;
        rc = cf_ec2_describe_instances(&l, wf->aws, &q);
        if (!rc && l->n)
            snprintf(id, cap, "%s", l->items[0].id);
        cf_ec2_instance_list_free(l);
    } else {
        cf_ec2_volume_list *l = NULL;
        rc = cf_ec2_describe_volumes(&l, wf->aws, &q);
        if (!rc && l->n)
            snprintf(id, cap, "%s", l->items[0].id);
        cf_ec2_volume_list_free(l);
    }
    return rc;
}

/* Volume vol: its state and its first attachment (instance, device, state); "" when absent. */
static int volume_state(cf_wf *wf, const char *vol, char *state, char *on, char *dev, char *att,
                        size_t cap)
{
    const char *ids[] = {vol};
    const cf_ec2_query q = {ids, 1, NULL, 0, 0};
    cf_ec2_volume_list *l = NULL;
    int rc = cf_ec2_describe_volumes(&l, wf->aws, &q);
    state[0] = on[0] = dev[0] = att[0] = '\0';
    if (!rc && l->n) {
        const cf_ec2_volume *v = &l->items[0];
        snprintf(state, cap, "%s", v->state ? v->state : "");
        if (v->n_attachments) {
            const cf_ec2_volume_attachment *a = &v->attachments[0];
            snprintf(on, cap, "%s", a->instance_id ? a->instance_id : "");
            snprintf(dev, cap, "%s", a->device ? a->device : "");
            snprintf(att, cap, "%s", a->state ? a->state : "");
        }
    }
    cf_ec2_volume_list_free(l);
    return rc;
}

static int wait_volume(cf_wf *wf, const char *vol, const char *want, const char *attach_state,
                       int64_t deadline)
{
    for (;;) {
        char state[32], att[32], on[32], dev[32];
        int rc = volume_state(wf, vol, state, on, dev, att, sizeof(state));
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
    const char *ids[] = {id};
    const cf_ec2_query q = {ids, 1, NULL, 0, 0};
    for (;;) {
        cf_ec2_instance_list *l = NULL;
        char state[32] = "";
        int rc = cf_ec2_describe_instances(&l, wf->aws, &q);
        if (!rc && l->n && l->items[0].state)
            snprintf(state, sizeof(state), "%s", l->items[0].state);
        cf_ec2_instance_list_free(l);
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
    const char *s = wf->cfg->forensic_subnet ? wf->cfg->forensic_subnet
                                             : json_string_value(json_object_get(tri, "subnet_id"));
    const char *ids[] = {s};
    const cf_ec2_query q = {ids, 1, NULL, 0, 0};
    cf_ec2_subnet_list *l = NULL;
    int rc;
    if (!s || !*s)
        return cf_error_set(CF_EINVAL, "no subnet for the forensic worker");
    snprintf(subnet, cap, "%s", s);
    az[0] = vpc[0] = '\0';
    rc = cf_ec2_describe_subnets(&l, wf->aws, &q);
    if (!rc && l->n) {
        snprintf(az, cap, "%s", l->items[0].az ? l->items[0].az : "");
        snprintf(vpc, cap, "%s", l->items[0].vpc_id ? l->items[0].vpc_id : "");
    }
    cf_ec2_subnet_list_free(l);
    return rc;
}

/* The worker's own group: nothing in, only HTTPS out (SSM and S3). */
static int forensic_group(cf_wf *wf, const char *vpc, char *gid, size_t cap)
{
    char name[128], key[256];
    const char *name_v[] = {name}, *vpc_v[] = {vpc}, *any[] = {"0.0.0.0/0"};
    const cf_ec2_filter f[] = {{"group-name", name_v, 1}, {"vpc-id", vpc_v, 1}};
    const cf_ec2_query q = {NULL, 0, f, 2, 0};
    cf_ec2_sg_list *l = NULL;
    char *new_id = NULL;
    int rc, has_https = 0, has_other = 0;
    snprintf(name, sizeof(name), "casefile-forensic-%s", vpc);
    gid[0] = '\0';
    if ((rc = cf_ec2_describe_security_groups(&l, wf->aws, &q)))
        goto cleanup;
    if (l->n) {
        const cf_ec2_security_group *g = &l->items[0];
        snprintf(gid, cap, "%s", g->id);
        for (size_t i = 0; i < g->n_egress; i++) {
            if (g->egress[i].from_port == 443)
                has_https = 1;
            else
                has_other = 1;
        }
    }
    if (!*gid) {
        const char *ids[1];
        const cf_ec2_tag_spec tags[] = {{"casefile:case", wf->case_id},
                                        {"casefile:role", "forensic-worker"}};
        snprintf(key, sizeof(key), "sg-create:%s:%s", vpc, name);
        rc = cf_ec2_create_security_group(&new_id, wf->aws, name,
                                          "casefile forensic worker: no inbound, HTTPS out", vpc,
                                          NULL, 0, 0);
        snprintf(gid, cap, "%s", new_id ? new_id : "");
        if (record_simple(wf, key, "ec2:CreateSecurityGroup", vpc, wf_ec2_reqid(rc), rc, gid))
            goto cleanup;
        ids[0] = gid;
        if ((rc = cf_ec2_create_tags(wf->aws, ids, 1, tags, 2, 0)))
            goto cleanup;
        has_other = 1; /* the default allow-all egress rule */
    }
    if (has_other) {
        const cf_ec2_ip_perm_spec all = {"-1", -1, -1, any, 1, NULL, 0, NULL, 0};
        snprintf(key, sizeof(key), "sg-close-out:%s", gid);
        rc = cf_ec2_revoke_security_group_egress(wf->aws, gid, &all, 1, 0);
        if (rc && cf_aws_error_is("InvalidPermission.NotFound"))
            rc = CF_OK;
        if (record_simple(wf, key, "ec2:RevokeSecurityGroupEgress", gid, wf_ec2_reqid(rc), rc,
                          "worker group: default egress removed"))
            goto cleanup;
    }
    if (!has_https) {
        const cf_ec2_ip_perm_spec https = {"tcp", 443, 443, any, 1, NULL, 0, NULL, 0};
        snprintf(key, sizeof(key), "sg-https-out:%s", gid);
        rc = cf_ec2_authorize_security_group_egress(wf->aws, gid, &https, 1, 0);
        if (record_simple(wf, key, "ec2:AuthorizeSecurityGroupEgress", gid, wf_ec2_reqid(rc), rc,
                          "worker group: HTTPS out only"))
            goto cleanup;
    }
cleanup:
    free(new_id);
    cf_ec2_sg_list_free(l);
    return rc;
}

static int make_volume(cf_wf *wf, struct disk *d, const char *az, int64_t deadline)
{
    char key[256], seed[256], token[CF_AWS_TOKEN_MAX];
    const char *extra[] = {"casefile:role",
                           "forensic-copy",
                           "casefile:snapshot",
                           d->snapshot,
                           "casefile:volume",
                           d->volume_src,
                           NULL};
    cf_ec2_tag_spec tags[8];
    cf_ec2_volume_spec v = {0};
    char *new_id = NULL;
    int rc;
    (void)deadline;
    if ((rc = find_by_tags(wf, 0, "forensic-copy", "tag:casefile:snapshot", d->snapshot, d->volume,
                           sizeof(d->volume))))
        return rc;
    snprintf(key, sizeof(key), "volume:%s", d->snapshot);
    if (!*d->volume) {
        snprintf(seed, sizeof(seed), "%s/collect_disk/volume/%s", wf->case_id, d->snapshot);
        cf_aws_client_token(seed, token);
        v.az = az;
        v.snapshot_id = d->snapshot;
        v.volume_type = "gp3";
        v.client_token = token;
        v.tags = tags;
        v.n_tags = wf_case_tags(wf, extra, tags, 8);
        rc = cf_ec2_create_volume(&new_id, wf->aws, &v, 0);
        snprintf(d->volume, sizeof(d->volume), "%s", new_id ? new_id : "");
        free(new_id);
        if (record_simple(wf, key, "ec2:CreateVolume", d->snapshot, wf_ec2_reqid(rc), rc,
                          d->volume))
            return rc;
        cf_wf_progress(wf, "collect_disk", "volume %s from %s in %s", d->volume, d->snapshot, az);
    }
    return CF_OK;
}

static int make_worker(cf_wf *wf, const char *subnet, const char *gid, char *worker, size_t cap,
                       int64_t deadline)
{
    char seed[256], token[CF_AWS_TOKEN_MAX];
    const char *extra[] = {"casefile:role", "forensic-worker", NULL}, *groups[] = {gid};
    cf_ec2_tag_spec tags[8];
    cf_ec2_run_spec s = {0};
    cf_ec2_instance_list *l = NULL;
    int rc;
    if ((rc = find_by_tags(wf, 1, "forensic-worker", NULL, NULL, worker, cap)))
        return rc;
    if (!*worker) {
        snprintf(seed, sizeof(seed), "%s/collect_disk/worker", wf->case_id);
        cf_aws_client_token(seed, token);
        s.image_id = wf->cfg->forensic_ami;
        s.instance_type = wf->cfg->forensic_instance_type;
        s.subnet_id = subnet;
        s.group_ids = groups;
        s.n_group_ids = 1;
        s.client_token = token;
        s.imdsv2_required = 1;
        s.shutdown_behavior = "terminate";
        s.profile_name = wf->cfg->forensic_profile;
        s.tags = tags;
        s.n_tags = wf_case_tags(wf, extra, tags, 8);
        rc = cf_ec2_run_instances(&l, wf->aws, &s, 0);
        snprintf(worker, cap, "%s", !rc && l->n ? l->items[0].id : "");
        cf_ec2_instance_list_free(l);
        if (record_simple(wf, "worker", "ec2:RunInstances", wf->cfg->forensic_ami, wf_ec2_reqid(rc),
                          rc, worker))
            return rc;
        cf_wf_progress(wf, "collect_disk", "forensic worker %s (%s) in %s", worker,
                       wf->cfg->forensic_ami, subnet);
    }
    return wait_instance(wf, worker, "running", deadline);
}

static int attach(cf_wf *wf, struct disk *d, const char *worker, int64_t deadline)
{
    char state[64], on[64], dev[64], att[64], key[128];
    int rc;
    if ((rc = volume_state(wf, d->volume, state, on, dev, att, sizeof(state))))
        return rc;
    if (!strcmp(on, worker)) {
        snprintf(d->device, sizeof(d->device), "%.15s", dev);
    } else {
        snprintf(key, sizeof(key), "attach:%s", d->volume);
        rc = cf_ec2_attach_volume(wf->aws, d->volume, worker, d->device, 0);
        if (record_simple(wf, key, "ec2:AttachVolume", d->volume, wf_ec2_reqid(rc), rc, d->device))
            return rc;
        cf_wf_progress(wf, "collect_disk", "%s attached to %s as %s", d->volume, worker, d->device);
    }
    return wait_volume(wf, d->volume, "in-use", "attached", deadline);
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
        rc = cf_s3_presign_put(wf->aws, bucket, k_tar, wf->cfg->presign_ttl_s, &u_tar);
        if (!rc)
            rc = cf_s3_presign_put(wf->aws, bucket, k_man, wf->cfg->presign_ttl_s, &u_man);
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
    char comment[128], reqid[128] = "";
    int rc;
    snprintf(comment, sizeof(comment), "casefile %.80s disk", wf->case_id);
    /* Look first: a command this case already sent to this worker. */
    if ((rc = wf_ssm_find_command(wf, worker, comment, cmd_id, cap)) || *cmd_id)
        return rc;
    rc = wf_ssm_send(wf, worker, script, comment, 3600, 600, cmd_id, cap, reqid);
    record_simple(wf, "ssm:disk", "ssm:SendCommand", worker, reqid, rc, cmd_id);
    if (!rc)
        cf_wf_progress(wf, "collect_disk", "SSM command %s sent to %s", cmd_id, worker);
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
    char key[128];
    int rc = CF_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!*d[i].volume)
            continue;
        snprintf(key, sizeof(key), "detach:%s", d[i].volume);
        if (cf_wf_change_begin(wf, "collect_disk", key, "ec2:DetachVolume", d[i].volume,
                               "detach the copy", NULL) == 0) {
            if (!*worker) { /* no worker: the copy was never attached */
                cf_wf_change_end(wf, "collect_disk", key, "ec2:DetachVolume", d[i].volume, NULL,
                                 NULL, "exists", "not attached");
            } else {
                rc = cf_ec2_detach_volume(wf->aws, d[i].volume, worker, 0, 0);
                if (rc && (cf_aws_error_is("IncorrectState") ||
                           cf_aws_error_is("InvalidAttachment.NotFound")))
                    rc = CF_OK; /* already detached */
                record_simple(wf, key, "ec2:DetachVolume", d[i].volume, wf_ec2_reqid(rc), rc,
                              "detached");
            }
        }
        if (!rc)
            rc = wait_volume(wf, d[i].volume, "available", NULL, deadline);
        snprintf(key, sizeof(key), "delete:%s", d[i].volume);
        if (!rc && cf_wf_change_begin(wf, "collect_disk", key, "ec2:DeleteVolume", d[i].volume,
                                      "delete the copy", NULL) == 0) {
            rc = cf_ec2_delete_volume(wf->aws, d[i].volume, 0);
            record_simple(wf, key, "ec2:DeleteVolume", d[i].volume, wf_ec2_reqid(rc), rc,
                          "deleted");
        }
    }
    if (!rc && *worker &&
        cf_wf_change_begin(wf, "collect_disk", "terminate-worker", "ec2:TerminateInstances", worker,
                           "terminate the forensic worker", NULL) == 0) {
        const char *ids[] = {worker};
        rc = cf_ec2_terminate_instances(wf->aws, ids, 1, 0);
        record_simple(wf, "terminate-worker", "ec2:TerminateInstances", worker, wf_ec2_reqid(rc),
                      rc, "terminated");
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
                rc = find_by_tags(wf, 0, "forensic-copy", "tag:casefile:snapshot", d[i].snapshot,
                                  d[i].volume, sizeof(d[i].volume));
            if (!rc)
                rc = find_by_tags(wf, 1, "forensic-worker", NULL, NULL, worker, sizeof(worker));
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
