/* casefile-agent: collects a Linux host's volatile evidence into a casefile bundle.
 * Static, libc only; reads /proc, /sys and raw files itself and runs nothing on the host. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfa_collect.h"
#include "cfa_imds.h"

#ifndef CF_VERSION
#define CF_VERSION "0.0.0"
#endif
#if defined(__x86_64__)
#define CFA_ARCH "x86_64"
#elif defined(__aarch64__)
#define CFA_ARCH "aarch64"
#else
#define CFA_ARCH "unknown"
#endif

enum {
    EXIT_OK = 0,
    EXIT_PARTIAL = 1,
    EXIT_USAGE = 2,
    EXIT_ENV = 3,
    EXIT_INTERNAL = 70,
};

#define MAX_PMEM 16

struct opts {
    const char *out, *tar, *root, *case_id, *instance_id, *imds_endpoint;
    int imds, memory, probe, imds_timeout_ms, threads;
    int pmem[MAX_PMEM];
    int npmem;
    uint64_t max_binary_size, max_hash_size, max_process_memory;
};

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: casefile-agent (--out DIR | --tar FILE|-) [options]\n"
            "\n"
            "Collects this Linux host's volatile evidence (processes, sockets, open files,\n"
            "mappings, sessions, modules, mounts, network, DNS, system facts) into a casefile\n"
            "bundle: JSON Lines tables plus manifest.json (SHA-256 of every file), written last.\n"
            "Reads /proc, /sys and files directly; never runs a program of the host.\n"
            "\n"
            "output (one of):\n"
            "  --out DIR              write the bundle into DIR (created if missing)\n"
            "  --tar FILE|-           write one POSIX tar stream (manifest.json last); - = stdout\n"
            "\n"
            "options:\n"
            "  --case-id ID           case id recorded in the manifest\n"
            "  --instance-id ID       EC2 instance id recorded in the manifest\n"
            "  --root DIR             read a saved tree mirroring / (DIR/proc, DIR/sys, DIR/etc,\n"
            "                         DIR/var) instead of the live system\n"
            "  --imds                 add the EC2 identity document (IMDSv2) to system.jsonl\n"
            "  --imds-endpoint URL    IMDS base URL (default %s), IP literal only\n"
            "  --imds-timeout MS      total IMDS time budget (default 2000)\n"
            "  --memory               physical memory from /proc/kcore as memory.lime (LiME v1)\n"
            "  --process-memory PID   readable regions of PID as process_memory/PID.lime (LiME\n"
            "                         layout, virtual addresses), one row per mapping in\n"
            "                         process_memory.jsonl; repeatable (16 at most)\n"
            "  --max-process-memory N bytes per process (default 2147483648)\n"
            "  --max-binary-size N    largest executable copied to binaries/ (default 67108864)\n"
            "  --max-hash-size N      largest executable hashed (default 1073741824)\n"
            "  --no-probe             skip probing the pid space for hidden processes\n"
            "  --probe-all-pids       probe every pid up to pid_max with kill() and stat()\n"
            "                         (default: up to the highest pid in use + 4096, kill())\n"
            "  --threads N            worker threads reading processes (1-16, default 2); the\n"
            "                         tables come out in pid order whatever N is\n"
            "  --help, --version\n"
            "\n"
            "exit status:\n"
            "  0   bundle written (unreadable sources are listed in the manifest's errors)\n"
            "  1   bundle written, but a requested capture (--memory, --process-memory, --imds)\n"
            "      failed; see the manifest's errors\n"
            "  2   usage error\n"
            "  3   the output could not be written (bundle incomplete)\n"
            "  70  internal error\n",
            CFA_IMDS_DEFAULT);
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    enum {
        O_OUT = 256,
        O_TAR,
        O_ROOT,
        O_CASE,
        O_INST,
        O_IMDS,
        O_IMDS_EP,
        O_IMDS_TO,
        O_MEM,
        O_PMEM,
        O_MAXPMEM,
        O_MAXBIN,
        O_MAXHASH,
        O_NOPROBE,
        O_PROBE_FULL,
        O_THREADS,
        O_HELP,
        O_VERSION
    };
    static const struct option lo[] = {{"out", required_argument, 0, O_OUT},
                                       {"tar", required_argument, 0, O_TAR},
                                       {"root", required_argument, 0, O_ROOT},
                                       {"case-id", required_argument, 0, O_CASE},
                                       {"instance-id", required_argument, 0, O_INST},
                                       {"imds", no_argument, 0, O_IMDS},
                                       {"imds-endpoint", required_argument, 0, O_IMDS_EP},
                                       {"imds-timeout", required_argument, 0, O_IMDS_TO},
                                       {"memory", no_argument, 0, O_MEM},
                                       {"process-memory", required_argument, 0, O_PMEM},
                                       {"max-process-memory", required_argument, 0, O_MAXPMEM},
                                       {"max-binary-size", required_argument, 0, O_MAXBIN},
                                       {"max-hash-size", required_argument, 0, O_MAXHASH},
                                       {"no-probe", no_argument, 0, O_NOPROBE},
                                       {"probe-all-pids", no_argument, 0, O_PROBE_FULL},
                                       {"threads", required_argument, 0, O_THREADS},
                                       {"help", no_argument, 0, O_HELP},
                                       {"version", no_argument, 0, O_VERSION},
                                       {0, 0, 0, 0}};
    int ch;
    uint64_t v;
    memset(o, 0, sizeof(*o));
    o->probe = CFA_PROBE_AUTO;
    o->imds_endpoint = CFA_IMDS_DEFAULT;
    o->imds_timeout_ms = 2000;
    o->threads = 2;
    o->max_binary_size = 64ull << 20;
    o->max_hash_size = 1ull << 30;
    o->max_process_memory = 2ull << 30;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case O_OUT:
            o->out = optarg;
            break;
        case O_TAR:
            o->tar = optarg;
            break;
        case O_ROOT:
            o->root = optarg;
            break;
        case O_CASE:
            o->case_id = optarg;
            break;
        case O_INST:
            o->instance_id = optarg;
            break;
        case O_IMDS:
            o->imds = 1;
            break;
        case O_IMDS_EP:
            o->imds_endpoint = optarg;
            o->imds = 1;
            break;
        case O_IMDS_TO:
            if (parse_size(optarg, &v) < 0 || v == 0 || v > 60000)
                goto bad;
            o->imds_timeout_ms = (int)v;
            break;
        case O_MEM:
            o->memory = 1;
            break;
        case O_PMEM:
            if (parse_size(optarg, &v) < 0 || v == 0 || v > CFA_PID_LIMIT || o->npmem >= MAX_PMEM)
                goto bad;
            o->pmem[o->npmem++] = (int)v;
            break;
        case O_MAXPMEM:
            if (parse_size(optarg, &o->max_process_memory) < 0)
                goto bad;
            break;
        case O_MAXBIN:
            if (parse_size(optarg, &o->max_binary_size) < 0)
                goto bad;
            break;
        case O_MAXHASH:
            if (parse_size(optarg, &o->max_hash_size) < 0)
                goto bad;
            break;
        case O_NOPROBE:
            o->probe = CFA_PROBE_NONE;
            break;
        case O_PROBE_FULL:
            o->probe = CFA_PROBE_FULL;
            break;
        case O_THREADS:
            if (parse_size(optarg, &v) < 0 || v == 0 || v > 16)
                goto bad;
            o->threads = (int)v;
            break;
        case O_HELP:
            usage(stdout);
            exit(EXIT_OK);
        case O_VERSION:
            printf("casefile-agent %s (%s)\n", CF_VERSION, CFA_ARCH);
            exit(EXIT_OK);
        default:
            goto bad;
        }
    }
    if (optind != argc || (!o->out == !o->tar))
        goto bad;
    return 0;
bad:
    fprintf(stderr, "casefile-agent: bad usage (see --help)\n");
    return -1;
}

static void now_rfc3339(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    cfa_format_time(ts.tv_sec, ts.tv_nsec, 6, buf, len);
}

static void host_fact(struct cfa_ctx *c, struct cfa_jw *jw, const char *key, const char *rel)
{
    char path[4096];
    struct cfa_span v;
    if (cfa_path(c, path, sizeof(path), "%s", rel) < 0 || cfa_slurp(path, &c->rb, 4096) < 0)
        return;
    v = cfa_span_trim((struct cfa_span){c->rb.p, c->rb.len});
    if (v.n)
        cfa_jw_str(jw, key, v.p, v.n);
}

int main(int argc, char **argv)
{
    struct opts o;
    struct cfa_bundle b;
    struct cfa_ctx c;
    struct cfa_jw m = CFA_JW_INIT(64u << 20), idjw = CFA_JW_INIT(64 * 1024);
    char started[48], finished[48], root[4096], imds_id[128] = "", err[128];
    int rc = EXIT_OK, i;
    struct stat sb;

    if (parse_opts(argc, argv, &o) < 0)
        return EXIT_USAGE;
    signal(SIGPIPE, SIG_IGN);
    memset(&c, 0, sizeof(c));
    c.root = "";
    c.live = 1;
    if (o.root) {
        size_t n = strlen(o.root);
        while (n > 1 && o.root[n - 1] == '/')
            n--;
        if (n >= sizeof(root) - 256 || stat(o.root, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "casefile-agent: --root %s: not a directory\n", o.root);
            return EXIT_USAGE;
        }
        memcpy(root, o.root, n);
        root[n] = '\0';
        if (strcmp(root, "/") == 0)
            root[0] = '\0';
        else
            c.live = 0;
        c.root = root;
    }
    c.jw.max = CFA_RECORD_MAX;
    cfa_jw_reset(&c.jw);
    c.max_binary_size = o.max_binary_size;
    c.max_hash_size = o.max_hash_size;
    c.probe = (enum cfa_probe)o.probe;
    c.clk_tck = c.live ? sysconf(_SC_CLK_TCK) : 100;
    if (c.clk_tck <= 0)
        c.clk_tck = 100;
    c.self_pid = (int)getpid();
    c.threads = o.threads;

    now_rfc3339(started, sizeof(started));
    if ((o.out ? cfa_bundle_open_dir(&b, o.out) : cfa_bundle_open_tar(&b, o.tar)) < 0) {
        fprintf(stderr, "casefile-agent: cannot open output %s: %s\n", o.out ? o.out : o.tar,
                strerror(errno));
        cfa_bundle_release(&b);
        return EXIT_ENV;
    }
    c.b = &b;
    if (cfa_file_open(&b, "anomalies.jsonl", &c.t_anomalies) == 0)
        c.anomalies_open = 1;

    /* most volatile first: processes and their sockets, then the rest */
    cfa_read_boot_time(&c);
    cfa_collect_passwd(&c);
    cfa_collect_mounts(&c);
    cfa_collect_processes(&c);
    cfa_collect_sockets(&c);
    if (o.imds) {
        cfa_jw_reset(&idjw);
        idjw.depth = 1;
        idjw.first[1] = 0;
        if (cfa_imds_identity(o.imds_endpoint, o.imds_timeout_ms, &idjw, imds_id, sizeof(imds_id),
                              err, sizeof(err)) < 0 ||
            idjw.overflow) {
            cfa_bundle_error(&b, "imds", err);
            idjw.len = 0;
            rc = EXIT_PARTIAL;
        }
        cfa_jw_raw(&idjw, "", 0);
    }
    if (idjw.len) {
        char *frag = strndup(idjw.buf, idjw.len);
        cfa_collect_system(&c, frag);
        free(frag);
    } else {
        cfa_collect_system(&c, NULL);
    }
    cfa_collect_modules(&c);
    cfa_collect_sessions(&c);
    cfa_collect_network(&c);
    cfa_collect_dns(&c);
    if (c.anomalies_open) {
        cfa_file_close(&c.t_anomalies, 1, NULL);
        c.anomalies_open = 0;
    }
    if (o.memory && cfa_collect_memory(&c) < 0)
        rc = EXIT_PARTIAL;
    if (o.npmem) {
        struct cfa_file pm;
        if (cfa_file_open(&b, "process_memory.jsonl", &pm) < 0) {
            cfa_bundle_errno(&b, "process_memory.jsonl", errno);
            rc = EXIT_PARTIAL;
        } else {
            for (i = 0; i < o.npmem; i++)
                if (cfa_collect_process_memory(&c, &pm, o.pmem[i], o.max_process_memory) < 0)
                    rc = EXIT_PARTIAL;
            cfa_file_close(&pm, 1, NULL);
        }
    }
    if (c.anomalies_open) /* an anomaly found during memory capture reopened it */
        cfa_file_close(&c.t_anomalies, 1, NULL);

    now_rfc3339(finished, sizeof(finished));
    cfa_jw_reset(&m);
    cfa_jw_obj_begin(&m, NULL);
    cfa_jw_cstr(&m, "schema", "casefile.bundle/1");
    cfa_jw_cstr(&m, "kind", "volatile");
    cfa_jw_cstr(&m, "case_id", o.case_id);
    cfa_jw_obj_begin(&m, "host");
    if (o.instance_id)
        cfa_jw_cstr(&m, "instance_id", o.instance_id);
    else if (imds_id[0])
        cfa_jw_cstr(&m, "instance_id", imds_id);
    host_fact(&c, &m, "hostname", "/proc/sys/kernel/hostname");
    host_fact(&c, &m, "kernel", "/proc/sys/kernel/osrelease");
    if (c.boot_time > 0) {
        char bt[48];
        cfa_format_time(c.boot_time, 0, 0, bt, sizeof(bt));
        cfa_jw_cstr(&m, "boot_time", bt);
    }
    cfa_jw_obj_end(&m);
    cfa_jw_obj_begin(&m, "collector");
    cfa_jw_cstr(&m, "name", "casefile-agent");
    cfa_jw_cstr(&m, "version", CF_VERSION);
    cfa_jw_cstr(&m, "arch", CFA_ARCH);
    cfa_jw_int(&m, "pid", c.self_pid);
    cfa_jw_obj_end(&m);
    if (!c.live)
        cfa_jw_cstr(&m, "root", c.root);
    cfa_jw_cstr(&m, "started_at", started);
    cfa_jw_cstr(&m, "finished_at", finished);
    cfa_jw_arr_begin(&m, "files");
    cfa_bundle_files_json(&b, &m);
    cfa_jw_arr_end(&m);
    cfa_jw_arr_begin(&m, "errors");
    if (b.errors.len && !b.errors.overflow) {
        /* the error elements were escaped when recorded */
        m.first[m.depth] = 0;
        cfa_jw_raw(&m, b.errors.buf, b.errors.len);
    }
    cfa_jw_arr_end(&m);
    if (b.errors_dropped)
        cfa_jw_uint(&m, "errors_dropped", b.errors_dropped);
    cfa_jw_obj_end(&m);
    if (m.overflow) {
        fprintf(stderr, "casefile-agent: manifest too large\n");
        rc = EXIT_INTERNAL;
        cfa_bundle_release(&b);
    } else if (cfa_bundle_finish(&b, m.buf, m.len) < 0) {
        fprintf(stderr, "casefile-agent: writing the bundle failed: %s\n", strerror(errno));
        rc = EXIT_ENV;
    }
    cfa_jw_release(&m);
    cfa_jw_release(&idjw);
    cfa_jw_release(&c.jw);
    cfa_rbuf_release(&c.rb);
    cfa_rbuf_release(&c.rb2);
    cfa_lr_cache_release();
    free(c.users);
    free(c.overmounted);
    free(c.owners);
    free(c.exes);
    free(c.copied);
    return rc;
}
