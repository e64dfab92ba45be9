/* casefile status CASE: the steps, their state and every change made. */
#include "cli/cli.h"
#include "common/cf_error.h"
#include "workflow/cf_wf_cli.h"
#include "workflow/cf_workflow.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

int cf_cmd_status(int argc, char **argv)
{
    const char *which = NULL;
    int rc, json_out = 0, exit_code;
    const cf_wf_cli_cmd cmd = {
        .name = "status",
        .help = "usage: casefile status CASE [--json] [--config FILE]\n\n"
                "Shows the case's steps (status, attempts, time, error) and every change\n"
                "casefile made in AWS (call, target, request id, result). --json prints the\n"
                "same as one JSON object {case_id, steps: [...], actions: [...]}.\n",
        .flag = "--json",
        .flag_set = &json_out,
        .operand = &which};
    cf_config cfg;
    cf_case *cs = NULL;
    sqlite3_stmt *st = NULL;
    char dir[4096], db[4200];
    json_t *doc = NULL;
    if (!cf_wf_cli_start(&cmd, &cfg, argc, argv, &exit_code))
        return exit_code;
    if (!which || cf_wf_cli_case_dir(&cfg, which, dir, sizeof(dir))) {
        fprintf(stderr, "usage: casefile status CASE\n");
        exit_code = CF_EXIT_USAGE;
        goto cleanup;
    }
    snprintf(db, sizeof(db), "%s/case.db", dir);
    if (access(db, R_OK) != 0) {
        fprintf(stderr, "casefile status: no case at %s\n", dir);
        exit_code = CF_EXIT_USAGE;
        goto cleanup;
    }
    if ((rc = cf_case_open(&cs, dir))) {
        fprintf(stderr, "casefile status: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_ENV;
        goto cleanup;
    }
    doc = json_pack("{s:s,s:[],s:[]}", "case_dir", dir, "steps", "actions");
    {
        char *id = NULL;
        cf_case_info_get(cs, "case_id", &id);
        json_object_set_new(doc, "case_id", json_string(id ? id : ""));
        if (!json_out)
            printf("case %s (%s)\n\nsteps:\n", id ? id : "?", dir);
        free(id);
    }
    sqlite3_prepare_v2(cf_case_db(cs),
                       "SELECT name,status,attempts,started_at,finished_at,duration_ms,error FROM "
                       "steps",
                       -1, &st, NULL);
    /* Steps in flow order, with the ones never started shown as pending. */
    for (const cf_wf_step *s = cf_wf_steps(); s->name; s++) {
        const char *status = "pending", *err = "";
        int attempts = 0;
        long long ms = 0;
        sqlite3_reset(st);
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            if (!strcmp(col(st, 0), s->name)) {
                status = col(st, 1);
                attempts = sqlite3_column_int(st, 2);
                ms = sqlite3_column_int64(st, 5);
                err = col(st, 6);
                if (!json_out)
                    printf("  %-17s %-8s attempts %d  %6lld ms  %s\n", s->name, status, attempts,
                           ms, err);
                json_array_append_new(json_object_get(doc, "steps"),
                                      json_pack("{s:s,s:s,s:i,s:I,s:s}", "name", s->name, "status",
                                                status, "attempts", attempts, "duration_ms",
                                                (json_int_t)ms, "error", err));
                if (!strcmp(status, "failed") && exit_code == CF_EXIT_OK)
                    exit_code = CF_EXIT_OK; /* status itself succeeded */
                break;
            }
        }
        if (!strcmp(status, "pending")) {
            if (!json_out)
                printf("  %-17s pending\n", s->name);
            json_array_append_new(json_object_get(doc, "steps"),
                                  json_pack("{s:s,s:s}", "name", s->name, "status", "pending"));
        }
        (void)err;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!json_out)
        printf("\nchanges:\n");
    sqlite3_prepare_v2(cf_case_db(cs),
                       "SELECT time,step,call,target,result,request_id,detail,idem_key FROM "
                       "actions ORDER BY id",
                       -1, &st, NULL);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        if (!json_out)
            printf("  %s %-16s %-38s %-22s %-7s %s%s%s\n", col(st, 0), col(st, 1), col(st, 2),
                   col(st, 3), col(st, 4), col(st, 6), *col(st, 5) ? "  req " : "", col(st, 5));
        json_array_append_new(json_object_get(doc, "actions"),
                              json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "time", col(st, 0),
                                        "step", col(st, 1), "call", col(st, 2), "target",
                                        col(st, 3), "result", col(st, 4), "request_id", col(st, 5),
                                        "detail", col(st, 6), "idem_key", col(st, 7)));
    }
    if (json_out) {
        char *txt = json_dumps(doc, JSON_INDENT(2));
        if (txt)
            printf("%s\n", txt);
        free(txt);
    }
cleanup:
    sqlite3_finalize(st);
    json_decref(doc);
    cf_case_free(cs);
    cf_config_release(&cfg);
    return exit_code;
}
