/* casefile lambda: the AWS Lambda custom runtime (one step per invocation), and the generated
 * deployment artefacts (--print-state-machine, --print-policy).
 *
 * Invocation payload (from the Step Functions definition): {"case": {"event": EVENT}, "step":
 * NAME}. The handler parses the event (so the case id is the one `respond` would use), fetches
 * the case journal s3://<evidence_bucket>/cases/<case id>/case.db when it exists, runs the step
 * (a done step is not run again), uploads case.db back, and answers {"case_id", "step",
 * "status"}. A failed retryable step answers an error of type Casefile.Retryable (Step Functions
 * retries it); any other failure Casefile.StepFailed (caught; the next step runs).
 */
#include "cli/cli.h"
#include "common/cf_buf.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_json.h"
#include "common/cf_log.h"
#include "workflow/cf_wf_cli.h"
#include "workflow/cf_workflow.h"
#include "workflow/wf_aws.h"

#include <curl/curl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hdr_ctx {
    char request_id[256];
};

static size_t on_header(char *buf, size_t size, size_t n, void *p)
{
    struct hdr_ctx *h = p;
    size_t len = size * n;
    const char *name = "lambda-runtime-aws-request-id:";
    size_t nl = strlen(name);
    if (len > nl && !strncasecmp(buf, name, nl)) {
        size_t v = nl, e = len;
        while (v < len && buf[v] == ' ')
            v++;
        while (e > v && (buf[e - 1] == '\r' || buf[e - 1] == '\n' || buf[e - 1] == ' '))
            e--;
        if (e - v < sizeof(h->request_id)) {
            memcpy(h->request_id, buf + v, e - v);
            h->request_id[e - v] = '\0';
        }
    }
    return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *p)
{
    cf_buf *b = p;
    return cf_buf_add(b, buf, size * n) ? 0 : size * n;
}

static int http(const char *method, const char *url, const char *body, cf_buf *out,
                struct hdr_ctx *h, long *status)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    CURLcode cc;
    if (!c)
        return cf_error_set(CF_ENOMEM, "curl");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (h) {
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    }
    if (!strcmp(method, "POST")) {
        hl = curl_slist_append(hl, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    }
    cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (cc != CURLE_OK)
        return cf_error_set(CF_ENET, "Runtime API %s %s: %s", method, url, curl_easy_strerror(cc));
    return CF_OK;
}

static void unlink_db(const char *path)
{
    char p[4300];
    unlink(path);
    if ((size_t)snprintf(p, sizeof(p), "%s-wal", path) < sizeof(p))
        unlink(p);
    if ((size_t)snprintf(p, sizeof(p), "%s-shm", path) < sizeof(p))
        unlink(p);
}

/* Downloads the case journal (if any) into path; etag (cap 128) and *exists describe it. */
static int fetch_db(cf_aws *aws, cf_config *cfg, const char *key, const char *path, char *etag,
                    int *exists)
{
    cf_wf tmp;
    cf_buf b = CF_BUF_INIT(1u << 30);
    int rc;
    memset(&tmp, 0, sizeof(tmp));
    tmp.aws = aws;
    tmp.cfg = cfg;
    unlink_db(path);
    *exists = 0;
    etag[0] = '\0';
    rc = wf_s3_get(&tmp, cfg->evidence_bucket, key, 1u << 30, &b, etag);
    if (rc == CF_ENOTFOUND) {
        cf_error_clear();
        rc = CF_OK;
    } else if (rc == CF_OK) {
        *exists = 1;
        rc = cf_fs_write_atomic(path, b.data ? b.data : "", b.len);
    }
    cf_buf_release(&b);
    return rc;
}

/* Copies this invocation's step row and actions from mine into the journal at latest. */
static int merge_db(const char *latest, const char *mine, const char *step)
{
    sqlite3 *db = NULL;
    char *sql = NULL, *err = NULL;
    int rc = CF_OK;
    if (sqlite3_open(latest, &db) != SQLITE_OK) {
        rc = cf_error_set(CF_EIO, "open %s: %s", latest, sqlite3_errmsg(db));
        goto cleanup;
    }
    sql = sqlite3_mprintf(
        "ATTACH %Q AS mine;"
        "BEGIN;"
        "INSERT OR REPLACE INTO steps SELECT * FROM mine.steps WHERE name=%Q;"
        "INSERT OR REPLACE INTO actions(step,idem_key,time,call,target,params,request_id,result,"
        " detail) SELECT step,idem_key,time,call,target,params,request_id,result,detail FROM"
        " mine.actions WHERE step=%Q;"
        "INSERT OR IGNORE INTO case_info SELECT * FROM mine.case_info;"
        "COMMIT;"
        "DETACH mine;"
        "PRAGMA wal_checkpoint(TRUNCATE);",
        mine, step, step);
    if (!sql || sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        rc = cf_error_set(CF_EIO, "merging the journal: %s", err ? err : "out of memory");
cleanup:
    sqlite3_free(err);
    sqlite3_free(sql);
    sqlite3_close(db);
    return rc;
}

/* Uploads the journal with a condition on the version it started from; when another invocation
 * (the other parallel branch) stored one meanwhile, merges this step into the newer one and
 * tries again. */
static int store_db(cf_aws *aws, cf_config *cfg, const char *key, const char *path,
                    const char *step, char *etag, int exists)
{
    cf_wf tmp;
    char latest[4300];
    int rc = CF_OK;
    memset(&tmp, 0, sizeof(tmp));
    tmp.aws = aws;
    tmp.cfg = cfg;
    if ((size_t)snprintf(latest, sizeof(latest), "%s.latest", path) >= sizeof(latest))
        return cf_error_set(CF_ETOOBIG, "case path too long");
    /* Test hook: hold the store back so another invocation stores first (tests/workflow). */
    if (getenv("CASEFILE_TEST_LAMBDA_STORE_DELAY_MS"))
        wf_sleep_ms(atoi(getenv("CASEFILE_TEST_LAMBDA_STORE_DELAY_MS")));
    for (int attempt = 0; attempt < 8; attempt++) {
        cf_log_debug("lambda: storing %s (%s %s)", key, exists ? "If-Match" : "If-None-Match",
                     exists ? etag : "*");
        rc = wf_s3_put(&tmp, cfg->evidence_bucket, key, NULL, 0, path, exists ? etag : NULL,
                       !exists, NULL);
        if (rc != CF_EEXISTS)
            return rc;
        cf_error_clear();
        if ((rc = fetch_db(aws, cfg, key, latest, etag, &exists)))
            return rc;
        if (!exists)
            continue;
        if ((rc = merge_db(latest, path, step)))
            return rc;
        cf_log_debug("lambda: %s merged into the newer journal (%s)", step, etag);
        unlink_db(path);
        if (rename(latest, path) != 0)
            return cf_error_set(CF_EIO, "rename %s: %m", latest);
    }
    return cf_error_set(CF_ETIMEOUT, "the case journal kept changing in S3; gave up storing it");
}

/* Runs one invocation; *answer (caller frees) is the JSON to post; *err_type is set on failure. */
static int handle(cf_config *cfg, cf_aws *aws, const char *payload, size_t len, char **answer,
                  const char **err_type)
{
    json_t *root = NULL, *ev, *ans = NULL;
    cf_finding f;
    cf_wf wf;
    const char *step;
    char db_key[512], db_path[4200], up_path[4300], case_dir[4096], etag[128] = "",
                                                                    case_id[CF_CASE_ID_MAX];
    int exists = 0;
    int rc, have_f = 0, have_wf = 0;
    cf_step_state st = {0};
    memset(&f, 0, sizeof(f));
    *err_type = "Casefile.StepFailed";
    if ((rc = cf_json_parse(payload, len, &root)))
        goto cleanup;
    ev = cf_json_path(root, "case.event");
    step = cf_json_str(root, "step");
    if (!ev || !step || !cf_wf_step_find(step)) {
        rc = cf_error_set(CF_EINVAL, "payload must be {\"case\": {\"event\": EVENT}, \"step\": "
                                     "NAME}");
        goto cleanup;
    }
    if ((rc = cf_finding_from_json(&f, ev)))
        goto cleanup;
    have_f = 1;
    {
        char id[CF_CASE_ID_MAX];
        cf_finding_case_id(&f, id);
        snprintf(db_key, sizeof(db_key), "cases/%s/case.db", id);
        snprintf(case_dir, sizeof(case_dir), "%s/%s", cfg->case_root, id);
        snprintf(db_path, sizeof(db_path), "%s/case.db", case_dir);
        snprintf(up_path, sizeof(up_path), "%s/case.db.upload", case_dir);
    }
    if ((rc = cf_fs_mkdirs(case_dir, 0750)))
        goto cleanup;
    /* The journal travels through S3 between invocations (each may run on another sandbox). */
    if (cfg->evidence_bucket && (rc = fetch_db(aws, cfg, db_key, db_path, etag, &exists)))
        goto cleanup;
    if ((rc = cf_wf_open(&wf, cfg, aws, &f, 0)))
        goto cleanup;
    have_wf = 1;
    wf.progress = stderr;
    rc = cf_wf_run_step(&wf, step);
    cf_case_step_get(wf.cs, step, &st);
    snprintf(case_id, sizeof(case_id), "%s", wf.case_id);
    if (cfg->evidence_bucket) {
        /* A consistent single-file copy (WAL included) is what travels. */
        char *sql = sqlite3_mprintf("VACUUM INTO %Q", up_path);
        int urc;
        unlink_db(up_path);
        urc = sql ? cf_case_exec(wf.cs, sql) : CF_ENOMEM;
        sqlite3_free(sql);
        if (!urc)
            urc = store_db(aws, cfg, db_key, up_path, step, etag, exists);
        if (urc && !rc)
            rc = urc;
    }
    cf_wf_close(&wf);
    have_wf = 0;
    ans = json_pack("{s:s,s:s,s:s}", "case_id", case_id, "step", step, "status",
                    st.status[0] ? st.status : "unknown");
    if (!strcmp(st.status, "failed")) {
        const cf_wf_step *s = cf_wf_step_find(step);
        *err_type = s->retryable ? "Casefile.Retryable" : "Casefile.StepFailed";
        rc = cf_error_set(CF_ERR, "step %s failed: %s", step, st.error ? st.error : "");
    }
    if (!rc)
        *answer = json_dumps(ans, JSON_COMPACT);
cleanup:
    cf_step_state_release(&st);
    if (have_wf)
        cf_wf_close(&wf);
    if (have_f)
        cf_finding_release(&f);
    json_decref(ans);
    json_decref(root);
    return rc;
}

static int runtime_loop(cf_config *cfg, const char *api, int max_invocations)
{
    cf_aws *aws = NULL;
    char url[1024];
    int rc, served = 0;
    if ((rc = cf_wf_cli_aws(cfg, &aws)))
        return rc;
    while (max_invocations <= 0 || served < max_invocations) {
        cf_buf body = CF_BUF_INIT(CF_FINDING_MAX_SIZE + 4096), resp = CF_BUF_INIT(1 << 16);
        struct hdr_ctx h = {""};
        long status = 0;
        char *answer = NULL;
        const char *err_type = NULL;
        snprintf(url, sizeof(url), "http://%s/2018-06-01/runtime/invocation/next", api);
        rc = http("GET", url, NULL, &body, &h, &status);
        if (rc || status != 200 || !*h.request_id) {
            if (!rc)
                rc = cf_error_set(CF_ENET, "Runtime API next: HTTP %ld", status);
            cf_buf_release(&body);
            break;
        }
        rc = handle(cfg, aws, cf_buf_cstr(&body), body.len, &answer, &err_type);
        if (!rc) {
            snprintf(url, sizeof(url), "http://%s/2018-06-01/runtime/invocation/%s/response", api,
                     h.request_id);
            rc = http("POST", url, answer, &resp, NULL, &status);
        } else {
            json_t *e =
                json_pack("{s:s,s:s}", "errorType", err_type, "errorMessage", cf_error_last()->msg);
            char *txt = json_dumps(e, JSON_COMPACT);
            snprintf(url, sizeof(url), "http://%s/2018-06-01/runtime/invocation/%s/error", api,
                     h.request_id);
            rc = http("POST", url, txt, &resp, NULL, &status);
            free(txt);
            json_decref(e);
        }
        free(answer);
        cf_buf_release(&body);
        cf_buf_release(&resp);
        if (rc)
            break;
        served++;
    }
    cf_aws_free(aws);
    return rc;
}

typedef struct lambda_args {
    const char *arn;
    int print_sm, print_policy, max_inv;
} lambda_args;

static int lambda_arg(void *ctx, int argc, char **argv, int *i)
{
    lambda_args *a = ctx;
    if (!strcmp(argv[*i], "--print-state-machine"))
        a->print_sm = 1;
    else if (!strcmp(argv[*i], "--print-policy"))
        a->print_policy = 1;
    else if (!strcmp(argv[*i], "--lambda-arn") && *i + 1 < argc)
        a->arn = argv[++*i];
    else if (!strcmp(argv[*i], "--max-invocations") && *i + 1 < argc)
        a->max_inv = atoi(argv[++*i]);
    else
        return 0;
    return 1;
}

int cf_cmd_lambda(int argc, char **argv)
{
    lambda_args a = {"${CasefileFunctionArn}", 0, 0, 0};
    const cf_wf_cli_cmd cmd = {
        .name = "lambda",
        .help = "usage: casefile lambda [--max-invocations N] [--config FILE]\n"
                "       casefile lambda --print-state-machine [--lambda-arn ARN] "
                "[--isolate-first]\n"
                "       casefile lambda --print-policy\n\n"
                "Without options: the Lambda custom runtime loop (AWS_LAMBDA_RUNTIME_API).\n"
                "Each invocation runs one step; payload {\"case\": {\"event\": EVENT}, "
                "\"step\": NAME};\n"
                "the case journal travels as s3://<evidence_bucket>/cases/<case id>/case.db.\n"
                "Installed as `bootstrap` the binary starts this loop by itself.\n"
                "--print-state-machine prints the Step Functions definition generated from\n"
                "the step table; --print-policy the least-privilege IAM policy.\n",
        .case_root_default = "/tmp/cases", /* Lambda: only /tmp is writable */
        .arg = lambda_arg,
        .ctx = &a};
    cf_config cfg;
    const char *arn;
    int print_sm, print_policy, max_inv, rc, exit_code;
    if (!cf_wf_cli_start(&cmd, &cfg, argc, argv, &exit_code))
        return exit_code;
    arn = a.arn;
    print_sm = a.print_sm;
    print_policy = a.print_policy;
    max_inv = a.max_inv;
    if (print_sm || print_policy) {
        char *txt = print_sm ? cf_wf_state_machine(&cfg, arn) : cf_wf_iam_policy();
        if (!txt) {
            exit_code = CF_EXIT_INTERNAL;
            goto cleanup;
        }
        printf("%s\n", txt);
        free(txt);
        goto cleanup;
    }
    if (!getenv("AWS_LAMBDA_RUNTIME_API")) {
        fprintf(stderr, "casefile lambda: AWS_LAMBDA_RUNTIME_API is not set (not in Lambda?)\n");
        exit_code = CF_EXIT_ENV;
        goto cleanup;
    }
    if ((rc = runtime_loop(&cfg, getenv("AWS_LAMBDA_RUNTIME_API"), max_inv))) {
        fprintf(stderr, "casefile lambda: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_ENV;
    }
cleanup:
    cf_config_release(&cfg);
    return exit_code;
}
