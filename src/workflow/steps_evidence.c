/* snapshot, collect_volatile, analyze_volatile, collect_disk, analyze, report: preserving and
 * collecting evidence. Containment never waits on these. */
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_hash.h"
#include "common/cf_json.h"
#include "common/cf_time.h"
#include "aws/s3.h"
#include "workflow/wf_aws.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- snapshot ------------------------------------------------------------------------------ */

/* The snapshot of this case for volume vol, if one exists: id and state. */
static int find_snapshot(cf_wf *wf, const char *vol, char *sid, size_t cap, char *state,
                         size_t scap)
{
    const char *case_v[] = {wf->case_id}, *vol_v[] = {vol};
    const cf_ec2_filter f[] = {{"tag:casefile:case", case_v, 1}, {"volume-id", vol_v, 1}};
    const cf_ec2_query q = {NULL, 0, f, 2, 0};
    cf_ec2_snapshot_list *l = NULL;
    int rc = cf_ec2_describe_snapshots(&l, wf->aws, &q, "self");
    sid[0] = state[0] = '\0';
    for (size_t i = 0; !rc && i < l->n; i++) {
        const cf_ec2_snapshot *x = &l->items[i];
        /* An errored snapshot is not evidence; a fresh one is taken instead. */
        if (x->state && !strcmp(x->state, "error"))
            continue;
        snprintf(sid, cap, "%s", x->id ? x->id : "");
        snprintf(state, scap, "%s", x->state ? x->state : "");
        break;
    }
    cf_ec2_snapshot_list_free(l);
    return rc;
}

int cf_wf_step_snapshot(cf_wf *wf, json_t *out)
{
    json_t *tri = cf_wf_output(wf, "triage"), *vols = json_object_get(tri, "volumes"), *v;
    json_t *snaps = json_array();
    size_t i;
    int rc = CF_OK;
    int64_t deadline;
    json_object_set(out, "snapshots", snaps);
    json_array_foreach(vols, i, v)
    {
        const char *vol = json_string_value(json_object_get(v, "volume_id"));
        const char *dev = json_string_value(json_object_get(v, "device"));
        char sid[64], state[32], key[128], desc[256];
        if (!vol)
            continue;
        if ((rc = find_snapshot(wf, vol, sid, sizeof(sid), state, sizeof(state))))
            goto cleanup;
        snprintf(key, sizeof(key), "snapshot:%s", vol);
        if (*sid) {
            pthread_mutex_lock(&wf->lock);
            int done = cf_case_action_done(wf->cs, key, NULL);
            pthread_mutex_unlock(&wf->lock);
            if (done != 1)
                cf_wf_change_end(wf, "snapshot", key, "ec2:CreateSnapshot", vol, NULL, NULL,
                                 "exists", sid);
        } else {
            const char *extra[] = {
                "casefile:volume", vol, "casefile:device", dev ? dev : "", "Name",
                wf->case_id,       NULL};
            cf_ec2_tag_spec tags[8];
            size_t n_tags = wf_case_tags(wf, extra, tags, 8);
            char *new_id = NULL;
            snprintf(desc, sizeof(desc), "snapshot %s (%s)", vol, dev ? dev : "?");
            rc = cf_wf_change_begin(wf, "snapshot", key, "ec2:CreateSnapshot", vol, desc, NULL);
            if (rc < 0)
                goto cleanup;
            if (rc == 1) {
                rc = CF_OK;
                continue; /* dry-run */
            }
            snprintf(desc, sizeof(desc), "casefile %s: %s %s of %s", wf->case_id, vol,
                     dev ? dev : "", wf->finding.instance_id);
            rc = cf_ec2_create_snapshot(&new_id, wf->aws, vol, desc, tags, n_tags, 0);
            snprintf(sid, sizeof(sid), "%s", new_id ? new_id : "");
            free(new_id);
            cf_wf_change_end(wf, "snapshot", key, "ec2:CreateSnapshot", vol, NULL, wf_ec2_reqid(rc),
                             rc ? "error" : "ok", rc ? cf_error_last()->msg : sid);
            if (rc)
                goto cleanup;
            cf_wf_progress(wf, "snapshot", "%s of %s (%s)", sid, vol, dev ? dev : "?");
        }
        json_array_append_new(snaps, json_pack("{s:s,s:s,s:s}", "snapshot_id", sid, "volume_id",
                                               vol, "device", dev ? dev : ""));
    }
    if (wf->dry_run)
        goto cleanup;
    /* Wait until every snapshot is completed. */
    deadline = cf_time_monotonic() + (int64_t)wf->cfg->snapshot_timeout_s * CF_NS_PER_SEC;
    for (;;) {
        int pending = 0;
        json_array_foreach(snaps, i, v)
        {
            char sid[64], state[32];
            const char *vol = json_string_value(json_object_get(v, "volume_id"));
            if ((rc = find_snapshot(wf, vol, sid, sizeof(sid), state, sizeof(state))))
                goto cleanup;
            json_object_set_new(v, "state", json_string(state));
            if (strcmp(state, "completed"))
                pending++;
        }
        if (!pending)
            break;
        if (cf_time_monotonic() > deadline) {
            rc = cf_error_set(CF_ETIMEOUT, "%d snapshot(s) not completed after %d s", pending,
                              wf->cfg->snapshot_timeout_s);
            goto cleanup;
        }
        wf_sleep_ms(wf->cfg->poll_interval_ms);
    }
    cf_wf_progress(wf, "snapshot", "%zu snapshot(s) completed", json_array_size(snaps));
cleanup:
    json_decref(snaps);
    return rc;
}

/* ---- collect_volatile ---------------------------------------------------------------------- */

#include "workflow/wf_bundle.h"

static int find_agent(cf_wf *wf, const char *arch, char *path, size_t cap)
{
    char dir[PATH_MAX], name[64];
    const char *host =
#if defined(__aarch64__)
        "aarch64";
#else
        "x86_64";
#endif
    if (wf->cfg->agent_dir) {
        snprintf(dir, sizeof(dir), "%s", wf->cfg->agent_dir);
    } else {
        ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
        char *slash;
        if (n <= 0)
            return cf_error_set(CF_ENOTFOUND, "cannot locate casefile's own directory");
        dir[n] = '\0';
        slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
    }
    snprintf(name, sizeof(name), "casefile-agent-%s", arch);
    if (cf_fs_join(path, cap, dir, name) == CF_OK && access(path, R_OK) == 0)
        return CF_OK;
    if (!strcmp(arch, host) && cf_fs_join(path, cap, dir, "casefile-agent") == CF_OK &&
        access(path, R_OK) == 0)
        return CF_OK;
    return cf_error_set(CF_ENOTFOUND, "no casefile-agent for %s in %s (set agent_dir)", arch, dir);
}

/* The SSM script of docs/contracts.md: fetch the agent, check it, run it, tar the bundle with the
 * manifest last, upload the tar then the manifest. */
static int volatile_script(cf_wf *wf, const char *get_url, const char *sha, const char *put_tar,
                           const char *put_man, cf_buf *out)
{
    return cf_buf_addf(
        out,
        "set -eu\n"
        "T=$(mktemp -d)\n"
        "trap 'rm -rf \"$T\"' EXIT\n"
        "cd \"$T\"\n"
        "curl -fsS -o agent '%s'\n"
        "echo '%s  agent' | sha256sum -c - >/dev/null\n"
        "chmod 700 agent\n"
        "./agent --case-id '%s' --instance-id '%s' --out \"$T/bundle\"\n"
        "cd \"$T/bundle\"\n"
        "set --\n"
        "for f in * .[!.]*; do [ -e \"$f\" ] && [ \"$f\" != manifest.json ] && set -- \"$@\" "
        "\"$f\"; done\n"
        "tar -cf \"$T/bundle.tar\" \"$@\" manifest.json\n"
        "curl -fsS -X PUT -T \"$T/bundle.tar\" '%s'\n"
        "curl -fsS -X PUT -T manifest.json '%s'\n",
        get_url, sha, wf->case_id, wf->finding.instance_id, put_tar, put_man);
}

int cf_wf_step_collect_volatile(cf_wf *wf, json_t *out)
{
    json_t *tri = cf_wf_output(wf, "triage");
    const char *bucket = wf->cfg->evidence_bucket;
    const char *arch_in = json_string_value(json_object_get(tri, "architecture"));
    const char *arch = arch_in && !strcmp(arch_in, "arm64") ? "aarch64" : "x86_64";
    char agent[PATH_MAX], sha[CF_SHA256_HEX_LEN], tool_key[256], prefix[512], key_tar[600],
        key_man[600], cmd_id[128] = "", reqid[128] = "", dir[PATH_MAX + 64], file[PATH_MAX + 64],
                      uri[1024], *get_url = NULL, *put_tar = NULL, *put_man = NULL, *prev = NULL;
    cf_buf script = CF_BUF_INIT(64 * 1024);
    int64_t deadline;
    int rc, n_files = 0;
    if (!bucket) {
        json_object_set_new(out, "skipped", json_string("no evidence_bucket configured"));
        return CF_OK;
    }
    if (json_string_value(json_object_get(tri, "state")) &&
        strcmp(json_string_value(json_object_get(tri, "state")), "running")) {
        json_object_set_new(out, "skipped", json_string("the instance is not running"));
        return CF_OK;
    }
    snprintf(prefix, sizeof(prefix), "cases/%s/%s/volatile/", wf->case_id, wf->finding.instance_id);
    snprintf(key_tar, sizeof(key_tar), "%sbundle.tar", prefix);
    snprintf(key_man, sizeof(key_man), "%smanifest.json", prefix);
    if ((rc = find_agent(wf, arch, agent, sizeof(agent))))
        goto cleanup;
    if ((rc = cf_sha256_file(agent, sha, NULL)))
        goto cleanup;
    snprintf(tool_key, sizeof(tool_key), "tools/casefile-agent-%s-%s", arch, sha);
    json_object_set_new(out, "agent", json_string(tool_key));
    /* The agent, once per hash. */
    rc = wf_s3_head(wf, bucket, tool_key);
    if (rc == CF_ENOTFOUND) {
        char k[300];
        snprintf(k, sizeof(k), "upload-agent:%s", tool_key);
        cf_error_clear();
        rc = cf_wf_change_begin(wf, "collect_volatile", k, "s3:PutObject", tool_key,
                                "upload the agent", &prev);
        if (rc == 0) {
            rc = wf_s3_put(wf, bucket, tool_key, NULL, 0, agent, NULL, 0, reqid);
            cf_wf_change_end(wf, "collect_volatile", k, "s3:PutObject", tool_key, NULL, reqid,
                             rc ? "error" : "ok", rc ? cf_error_last()->msg : sha);
        } else if (rc == 1) {
            rc = CF_OK;
        }
    }
    if (rc)
        goto cleanup;
    /* The command, once per case (a resumed case waits for the command already sent). */
    free(prev);
    prev = NULL;
    rc = cf_wf_change_begin(wf, "collect_volatile", "ssm:volatile", "ssm:SendCommand",
                            wf->finding.instance_id, "run casefile-agent through SSM", &prev);
    if (rc < 0)
        goto cleanup;
    if (rc == 1 && wf->dry_run) {
        rc = CF_OK;
        goto cleanup;
    }
    if (rc == 0 && wf_s3_head(wf, bucket, key_man) == CF_OK) {
        rc = 1; /* the bundle is there already (sent by an earlier run that crashed) */
    }
    cf_error_clear();
    if (rc == 0) {
        char comment[128];
        snprintf(comment, sizeof(comment), "casefile %.80s volatile", wf->case_id);
        if ((rc =
                 wf_ssm_find_command(wf, wf->finding.instance_id, comment, cmd_id, sizeof(cmd_id))))
            goto cleanup;
        if (*cmd_id) {
            cf_wf_change_end(wf, "collect_volatile", "ssm:volatile", "ssm:SendCommand",
                             wf->finding.instance_id, NULL, NULL, "exists", cmd_id);
            rc = 1;
        }
    }
    if (rc == 0) {
        char comment[128];
        int ttl = wf->cfg->presign_ttl_s;
        if ((rc = cf_s3_presign_get(wf->aws, bucket, tool_key, ttl, &get_url)) ||
            (rc = cf_s3_presign_put(wf->aws, bucket, key_tar, ttl, &put_tar)) ||
            (rc = cf_s3_presign_put(wf->aws, bucket, key_man, ttl, &put_man)))
            goto cleanup;
        if ((rc = volatile_script(wf, get_url, sha, put_tar, put_man, &script)))
            goto cleanup;
        snprintf(comment, sizeof(comment), "casefile %.80s volatile", wf->case_id);
        rc = wf_ssm_send(wf, wf->finding.instance_id, cf_buf_cstr(&script), comment, 0, 3600,
                         cmd_id, sizeof(cmd_id), reqid);
        if (rc) {
            cf_error saved;
            cf_error_save(&saved);
            cf_wf_change_end(wf, "collect_volatile", "ssm:volatile", "ssm:SendCommand",
                             wf->finding.instance_id, NULL, saved.request_id, "error", saved.msg);
            cf_error_restore(&saved);
            if (cf_aws_error_is("InvalidInstanceId"))
                rc = cf_error_set(CF_ENOTFOUND,
                                  "%s is not managed by SSM (no agent, no instance role, or not "
                                  "registered): volatile state NOT collected",
                                  wf->finding.instance_id);
            goto cleanup;
        }
        cf_wf_change_end(wf, "collect_volatile", "ssm:volatile", "ssm:SendCommand",
                         wf->finding.instance_id, NULL, reqid, "ok", cmd_id);
        cf_wf_progress(wf, "collect_volatile", "SSM command %s sent to %s", cmd_id,
                       wf->finding.instance_id);
    } else if (prev && !*cmd_id) {
        snprintf(cmd_id, sizeof(cmd_id), "%s", prev);
    }
    json_object_set_new(out, "command_id", json_string(cmd_id));
    /* Wait for the manifest: its appearance is the completion signal. */
    deadline = cf_time_monotonic() + (int64_t)wf->cfg->volatile_timeout_s * CF_NS_PER_SEC;
    while ((rc = wf_s3_head(wf, bucket, key_man)) == CF_ENOTFOUND) {
        if (cf_time_monotonic() > deadline) {
            rc = cf_error_set(CF_ETIMEOUT,
                              "no volatile bundle after %d s (s3://%s/%s): volatile state NOT "
                              "collected; the case goes on",
                              wf->cfg->volatile_timeout_s, bucket, key_man);
            goto cleanup;
        }
        wf_sleep_ms(wf->cfg->poll_interval_ms);
    }
    if (rc)
        goto cleanup;
    /* Fetch, unpack, verify every file against the manifest. */
    snprintf(file, sizeof(file), "%s/evidence/volatile", wf->case_dir);
    if ((rc = cf_fs_remove_tree(file)) || (rc = cf_fs_mkdirs(file, 0750)))
        goto cleanup;
    snprintf(file, sizeof(file), "%s/evidence/volatile/bundle.tar", wf->case_dir);
    if ((rc = wf_s3_get_file(wf, bucket, key_tar, file)))
        goto cleanup;
    snprintf(dir, sizeof(dir), "%s/evidence/volatile/bundle", wf->case_dir);
    if ((rc = wf_tar_extract(file, dir, 16ull << 30)))
        goto cleanup;
    snprintf(uri, sizeof(uri), "s3://%s/%s", bucket, prefix);
    pthread_mutex_lock(&wf->lock);
    rc = wf_bundle_verify(wf->cs, dir, "volatile", "volatile", uri, &n_files);
    pthread_mutex_unlock(&wf->lock);
    json_object_set_new(out, "bundle_dir", json_string(dir));
    json_object_set_new(out, "files_verified", json_integer(n_files));
    json_object_set_new(out, "s3_uri", json_string(uri));
    if (rc)
        goto cleanup;
    cf_wf_progress(wf, "collect_volatile", "bundle verified: %d file(s) match the manifest",
                   n_files);
cleanup:
    free(get_url);
    free(put_tar);
    free(put_man);
    free(prev);
    cf_buf_release(&script);
    return rc;
}
