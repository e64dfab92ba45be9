/* casefile report: write a case's report (HTML, JSON, Markdown) and, on request, its e-mails. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "case/cf_case.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_time.h"
#include "report/cf_report.h"

#define MAX_TO 50

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: casefile report --case DIR [--out DIR] [--format html,json,md]\n"
            "                       [--max-events N] [--max-field BYTES] [--now TIME]\n"
            "                       [--from ADDR --to ADDR... [--eml FILE] [--alert-eml FILE]\n"
            "                        [--report-url URL] [--attach-limit BYTES]]\n"
            "\n"
            "Writes the report of the case in DIR (its case.db) as report.html (one\n"
            "self-contained page: no script, no external resource), report.json (for SIEMs\n"
            "and tickets; schema casefile.report/1) and report.md (for e-mail and chat).\n"
            "\n"
            "  --case DIR          the case directory (holds case.db)\n"
            "  --out DIR           where to write (default: DIR/report)\n"
            "  --format LIST       any of html,json,md (default: all three)\n"
            "  --max-events N      timeline events listed (default 2000; the chart counts all)\n"
            "  --max-field BYTES   longer values are cut with a marker (default 2000)\n"
            "  --now TIME          the report's generation time (RFC 3339; default now)\n"
            "\n"
            "E-mails (written as raw MIME files, as SES would send them):\n"
            "  --eml FILE          the report e-mail (L7): summary as text and HTML, the\n"
            "                      report attached when small enough, the link to it\n"
            "  --alert-eml FILE    the first alert (L1) for this case\n"
            "  --from ADDR         sender; --to ADDR (repeatable) recipients\n"
            "  --report-url URL    link to the full report (e.g. a presigned S3 URL)\n"
            "  --attach-limit N    attach the HTML report only up to N bytes (default 5 MiB)\n"
            "\n"
            "Every value shown is escaped: the case holds data from a compromised host.\n"
            "Exit status: 0 written; 2 usage error or no case.db in DIR; 3 cannot write;\n"
            "70 internal error.\n");
}

static int parse_size(const char *s, size_t *out)
{
    char *end = NULL;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = (size_t)v;
    return 0;
}

static int exit_for(int rc)
{
    switch (rc) {
    case CF_OK:
        return CF_EXIT_OK;
    case CF_EINVAL:
    case CF_EPARSE:
    case CF_ENOTFOUND:
        return CF_EXIT_USAGE;
    case CF_EIO:
    case CF_EDENIED:
    case CF_ETOOBIG:
        return CF_EXIT_ENV;
    default:
        return CF_EXIT_INTERNAL;
    }
}

static int write_file(const char *path, const cf_buf *b)
{
    int rc = cf_fs_write_atomic(path, b->data ? b->data : "", b->len);
    if (rc)
        cf_error_wrap("write %s", path);
    return rc;
}

int cf_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"case", required_argument, NULL, 'c'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"max-events", required_argument, NULL, 'e'},
                                         {"max-field", required_argument, NULL, 'F'},
                                         {"now", required_argument, NULL, 'n'},
                                         {"eml", required_argument, NULL, 'm'},
                                         {"alert-eml", required_argument, NULL, 'a'},
                                         {"from", required_argument, NULL, 'r'},
                                         {"to", required_argument, NULL, 't'},
                                         {"report-url", required_argument, NULL, 'u'},
                                         {"attach-limit", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *case_dir = NULL, *out_dir = NULL, *eml = NULL, *alert_eml = NULL, *from = NULL;
    const char *url = NULL, *to[MAX_TO];
    size_t n_to = 0, attach_limit = 0;
    unsigned formats = CF_REPORT_ALL;
    cf_report_opts ro = CF_REPORT_OPTS_INIT;
    char dbpath[4096], defout[4096];
    struct stat sb;
    cf_case *c = NULL;
    cf_buf mail = CF_BUF_INIT(64u << 20);
    cf_alert_info ai;
    int ch, rc = CF_OK, ex = CF_EXIT_OK;
    memset(&ai, 0, sizeof(ai));
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            case_dir = optarg;
            break;
        case 'o':
            out_dir = optarg;
            break;
        case 'f':
            if (cf_report_parse_formats(optarg, &formats)) {
                fprintf(stderr, "casefile report: %s\n", cf_error_last()->msg);
                return CF_EXIT_USAGE;
            }
            break;
        case 'e':
        case 'F':
        case 'l': {
            size_t v;
            if (parse_size(optarg, &v) || v == 0) {
                fprintf(stderr, "casefile report: bad number '%s'\n", optarg);
                return CF_EXIT_USAGE;
            }
            if (ch == 'e')
                ro.max_timeline_events = v;
            else if (ch == 'F')
                ro.max_field = v;
            else
                attach_limit = v;
            break;
        }
        case 'n':
            if (cf_time_parse(optarg, &ro.now_ns) != CF_OK) {
                fprintf(stderr, "casefile report: bad time '%s'\n", optarg);
                return CF_EXIT_USAGE;
            }
            break;
        case 'm':
            eml = optarg;
            break;
        case 'a':
            alert_eml = optarg;
            break;
        case 'r':
            from = optarg;
            break;
        case 't':
            if (n_to == MAX_TO) {
                fprintf(stderr, "casefile report: at most %d --to\n", MAX_TO);
                return CF_EXIT_USAGE;
            }
            to[n_to++] = optarg;
            break;
        case 'u':
            url = optarg;
            break;
        case 'h':
            usage(stdout);
            return CF_EXIT_OK;
        default:
            fprintf(stderr, "casefile report: unknown or incomplete option '%s'\n\n",
                    argv[optind - 1]);
            usage(stderr);
            return CF_EXIT_USAGE;
        }
    }
    if (!case_dir || optind < argc) {
        usage(stderr);
        return CF_EXIT_USAGE;
    }
    if ((eml || alert_eml) && (!from || n_to == 0)) {
        fprintf(stderr, "casefile report: --eml and --alert-eml need --from and --to\n");
        return CF_EXIT_USAGE;
    }
    if (cf_fs_join(dbpath, sizeof(dbpath), case_dir, "case.db") || stat(dbpath, &sb) != 0 ||
        !S_ISREG(sb.st_mode)) {
        fprintf(stderr, "casefile report: no case database at %s\n", dbpath);
        return CF_EXIT_USAGE;
    }
    if (!out_dir) {
        if (cf_fs_join(defout, sizeof(defout), case_dir, "report")) {
            fprintf(stderr, "casefile report: path too long\n");
            return CF_EXIT_USAGE;
        }
        out_dir = defout;
    }
    if ((rc = cf_case_open(&c, case_dir)))
        goto cleanup;
    if ((rc = cf_report_write(c, out_dir, formats, &ro)))
        goto cleanup;
    printf("report written to %s (%s%s%s)\n", out_dir, formats & CF_REPORT_HTML ? "html " : "",
           formats & CF_REPORT_JSON ? "json " : "", formats & CF_REPORT_MD ? "md" : "");
    if (eml) {
        cf_report_email_opts eo = {from, to, n_to, url, attach_limit, &ro};
        if ((rc = cf_report_email(c, &eo, &mail)) || (rc = write_file(eml, &mail)))
            goto cleanup;
        printf("report e-mail written to %s (%zu bytes)\n", eml, mail.len);
        cf_buf_reset(&mail);
    }
    if (alert_eml) {
        if ((rc = cf_alert_info_from_case(c, &ai)) ||
            (rc = cf_report_alert_email(&ai, from, to, n_to, &mail)) ||
            (rc = write_file(alert_eml, &mail)))
            goto cleanup;
        printf("alert e-mail written to %s (%zu bytes)\n", alert_eml, mail.len);
    }
cleanup:
    if (rc) {
        fprintf(stderr, "casefile report: %s\n", cf_error_last()->msg);
        ex = exit_for(rc);
    }
    cf_alert_info_release(&ai);
    cf_buf_release(&mail);
    cf_case_free(c);
    return ex;
}
