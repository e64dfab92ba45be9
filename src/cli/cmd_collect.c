/* casefile collect disk SOURCE --out DIR [options]: the disk collector (src/disk). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/cf_error.h"
#include "common/cf_time.h"
#include "disk/cf_disk.h"

#define MAX_USER_RULES 64

static void usage(FILE *fp)
{
    fprintf(
        fp,
        "usage: casefile collect disk SOURCE --out DIR [options]\n"
        "\n"
        "Collects a disk bundle from SOURCE, read-only: an image file or block device\n"
        "(partition table or bare file system, read through The Sleuth Kit: ext2/3/4, FAT,\n"
        "NTFS, ...) or a mounted directory tree (walked with statx; for XFS and other file\n"
        "systems libtsk does not read). Writes to DIR (created; must be empty):\n"
        "  bodyfile.txt   TSK bodyfile 3.x (mactime, plaso), as `fls -r -m /` prints it\n"
        "  files.jsonl    one record per entry, deleted ones included (deleted=true)\n"
        "  artifacts/...  logs, histories, crontabs, units, keys, accounts (shadow: hash\n"
        "                 types only), sudoers, ld.so.preload, web roots' scripts\n"
        "  binaries/<sha256>  executables in /tmp, /var/tmp, /dev/shm, web roots, or YARA hits\n"
        "  manifest.json  written last: sha256 and size of every file, and every error\n"
        "\n"
        "Options:\n"
        "  --out DIR              bundle directory (required)\n"
        "  --case-id ID           case id for the manifest\n"
        "  --instance-id ID       instance id for the manifest (host.instance_id)\n"
        "  --since TIME           incident window start (RFC 3339) for the in_window flag\n"
        "  --until TIME           incident window end (RFC 3339)\n"
        "  --hash-max-size N      do not hash files larger than N bytes (K, M, G suffixes;\n"
        "                         default: no limit); skipped files say why (hash_skipped)\n"
        "  --sparse-max-hole N    do not hash files with more than N sparse bytes (default 1G)\n"
        "  --no-hash              walk only: no SHA-256\n"
        "  --yara-rules PATH      add a YARA rule file (repeatable) to the shipped rules\n"
        "  --yara-max-size N      scan the first N bytes of each file (default 64M)\n"
        "  --no-yara              no YARA scan\n"
        "  --artifacts FILE       artifact globs, one per line, replacing the built-in list\n"
        "                         ('*' within a component, '**' across '/')\n"
        "  --artifact-max-size N  do not copy larger artifacts (default 256M)\n"
        "  --no-artifacts         no artifacts/ or binaries/ copies\n"
        "  --threads N            hashing/YARA worker threads (default: one per CPU)\n"
        "  --quiet                no progress on stderr\n"
        "\n"
        "Exit status: 0 bundle complete; 1 bundle written but with errors (see the\n"
        "manifest's \"errors\"); 2 usage error, or no readable file system in SOURCE (the\n"
        "manifest says why); 3 SOURCE or DIR cannot be opened; 70 internal error.\n");
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;
    uint64_t mult = 1;
    errno = 0;
    if (!s || !*s || *s == '-')
        return CF_EINVAL;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        return CF_EINVAL;
    if (*end == 'K' || *end == 'k')
        mult = 1ull << 10;
    else if (*end == 'M' || *end == 'm')
        mult = 1ull << 20;
    else if (*end == 'G' || *end == 'g')
        mult = 1ull << 30;
    else if (*end == 'T' || *end == 't')
        mult = 1ull << 40;
    else if (*end)
        return CF_EINVAL;
    if (*end && end[1])
        return CF_EINVAL;
    if (v > UINT64_MAX / mult)
        return CF_EINVAL;
    *out = v * mult;
    return CF_OK;
}

/* Room for our own buffers (per worker: YARA and binaries/ copies, shadow, read chunk) plus
 * libtsk, libyara and thread stacks; at least 1 GiB. */
static uint64_t default_max_memory(const cf_disk_options *opt)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t threads = opt->threads > 0 ? (uint64_t)opt->threads : (uint64_t)(ncpu > 0 ? ncpu : 1);
    uint64_t keep =
        opt->yara_max_size > opt->binary_max_size ? opt->yara_max_size : opt->binary_max_size;
    uint64_t need = (512ull << 20) + threads * (2 * keep + (48ull << 20));
    return need > (1ull << 30) ? need : (1ull << 30);
}

/* Under AddressSanitizer or ThreadSanitizer the address space is the sanitizer's (shadow
 * memory): no limit there; the tests cap single allocations through ASAN_OPTIONS instead. */
static int limit_memory(uint64_t bytes)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    (void)bytes;
    return CF_OK;
#else
    struct rlimit rl;
    if (!bytes)
        return CF_OK;
    if (getrlimit(RLIMIT_AS, &rl) != 0)
        return CF_ERR;
    if (rl.rlim_max != RLIM_INFINITY && bytes > rl.rlim_max)
        bytes = rl.rlim_max;
    rl.rlim_cur = (rlim_t)bytes;
    return setrlimit(RLIMIT_AS, &rl) == 0 ? CF_OK : CF_ERR;
#endif
}

static void on_progress(const cf_disk_stats *st, void *arg)
{
    (void)arg;
    fprintf(stderr,
            "collect disk: %" PRIu64 " entries (%" PRIu64 " deleted), %" PRIu64
            " hashed (%.1f MiB), %" PRIu64 " YARA hits, %" PRIu64 " artifacts, %" PRIu64
            " errors\n",
            st->entries, st->deleted, st->hashed, (double)st->hash_bytes / (1024.0 * 1024.0),
            st->yara_files, st->artifacts, st->errors);
}

enum {
    O_OUT = 1000,
    O_CASE,
    O_INST,
    O_SINCE,
    O_UNTIL,
    O_HASHMAX,
    O_SPARSE,
    O_NOHASH,
    O_YARA,
    O_YARAMAX,
    O_NOYARA,
    O_ARTS,
    O_ARTMAX,
    O_NOARTS,
    O_THREADS,
    O_QUIET,
    O_MAXMEM,
    O_HELP
};

static int collect_disk(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, O_OUT},
        {"case-id", required_argument, NULL, O_CASE},
        {"instance-id", required_argument, NULL, O_INST},
        {"since", required_argument, NULL, O_SINCE},
        {"until", required_argument, NULL, O_UNTIL},
        {"hash-max-size", required_argument, NULL, O_HASHMAX},
        {"sparse-max-hole", required_argument, NULL, O_SPARSE},
        {"no-hash", no_argument, NULL, O_NOHASH},
        {"yara-rules", required_argument, NULL, O_YARA},
        {"yara-max-size", required_argument, NULL, O_YARAMAX},
        {"no-yara", no_argument, NULL, O_NOYARA},
        {"artifacts", required_argument, NULL, O_ARTS},
        {"artifact-max-size", required_argument, NULL, O_ARTMAX},
        {"no-artifacts", no_argument, NULL, O_NOARTS},
        {"threads", required_argument, NULL, O_THREADS},
        {"quiet", no_argument, NULL, O_QUIET},
        {"max-memory", required_argument, NULL, O_MAXMEM},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    cf_disk_options opt = CF_DISK_OPTIONS_INIT;
    const char *rules[MAX_USER_RULES];
    size_t n_rules = 0;
    cf_disk_stats st;
    int c, quiet = 0, rc, has_maxmem = 0;
    uint64_t maxmem = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case O_OUT:
            opt.out_dir = optarg;
            break;
        case O_CASE:
            opt.case_id = optarg;
            break;
        case O_INST:
            opt.instance_id = optarg;
            break;
        case O_SINCE:
            if (cf_time_parse(optarg, &opt.since_ns) != CF_OK)
                bad = "--since";
            opt.has_since = 1;
            break;
        case O_UNTIL:
            if (cf_time_parse(optarg, &opt.until_ns) != CF_OK)
                bad = "--until";
            opt.has_until = 1;
            break;
        case O_HASHMAX:
            if (parse_size(optarg, &opt.hash_max_size) != CF_OK)
                bad = "--hash-max-size";
            break;
        case O_SPARSE:
            if (parse_size(optarg, &opt.sparse_max_hole) != CF_OK)
                bad = "--sparse-max-hole";
            break;
        case O_NOHASH:
            opt.no_hash = 1;
            break;
        case O_YARA:
            if (n_rules >= MAX_USER_RULES)
                bad = "--yara-rules (more than 64)";
            else
                rules[n_rules++] = optarg;
            break;
        case O_YARAMAX:
            if (parse_size(optarg, &opt.yara_max_size) != CF_OK || opt.yara_max_size > (1ull << 30))
                bad = "--yara-max-size (at most 1G)";
            break;
        case O_NOYARA:
            opt.no_yara = 1;
            break;
        case O_ARTS:
            opt.artifacts_file = optarg;
            break;
        case O_ARTMAX:
            if (parse_size(optarg, &opt.artifact_max_size) != CF_OK)
                bad = "--artifact-max-size";
            break;
        case O_NOARTS:
            opt.no_artifacts = 1;
            break;
        case O_THREADS: {
            char *end = NULL;
            long n = strtol(optarg, &end, 10);
            if (!end || *end || n < 1 || n > 64)
                bad = "--threads (1..64)";
            else
                opt.threads = (int)n;
            break;
        }
        case O_QUIET:
            quiet = 1;
            break;
        case 'h':
        case O_HELP:
            usage(stdout);
            return CF_EXIT_OK;
        default:
            fprintf(stderr, "casefile collect disk: unknown option or missing value: %s\n",
                    argv[optind - 1]);
            usage(stderr);
            return CF_EXIT_USAGE;
        }
        if (bad) {
            fprintf(stderr, "casefile collect disk: bad value for %s: %s\n", bad, optarg);
            return CF_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !opt.out_dir) {
        fprintf(stderr, "casefile collect disk: need exactly one SOURCE and --out DIR\n\n");
        usage(stderr);
        return CF_EXIT_USAGE;
    }
    opt.source = argv[optind];
    opt.yara_rules = rules;
    opt.n_yara_rules = n_rules;
    if (!quiet) {
        opt.progress = on_progress;
    }
    if (!has_maxmem)
        maxmem = default_max_memory(&opt);
    if (limit_memory(maxmem) != CF_OK) {
        fprintf(stderr, "casefile collect disk: cannot set --max-memory: %s\n", strerror(errno));
        return CF_EXIT_ENV;
    }
    rc = cf_disk_collect(&opt, &st);
    if (rc == CF_OK) {
        if (!quiet || st.errors)
            fprintf(stderr,
                    "collect disk: bundle in %s: %" PRIu64 " entries, %" PRIu64 " deleted, %" PRIu64
                    " hashed, %" PRIu64 " YARA hits, %" PRIu64 " artifacts, %" PRIu64
                    " binaries, %" PRIu64 " errors%s\n",
                    opt.out_dir, st.entries, st.deleted, st.hashed, st.yara_files, st.artifacts,
                    st.binaries, st.errors, st.errors ? " (see manifest.json)" : "");
        return st.errors ? CF_EXIT_STEP_FAILED : CF_EXIT_OK;
    }
    fprintf(stderr, "casefile collect disk: %s\n", cf_error_last()->msg);
    switch (rc) {
    case CF_EINVAL:
    case CF_EPARSE:
        return CF_EXIT_USAGE;
    case CF_ENOTFOUND:
    case CF_EDENIED:
    case CF_EIO:
        return CF_EXIT_ENV;
    case CF_ENOMEM:
    case CF_ETOOBIG:
        return CF_EXIT_ENV;
    default:
        return CF_EXIT_INTERNAL;
    }
}

int cf_cmd_collect(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return CF_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "disk") != 0) {
        fprintf(stderr, "casefile collect: the only kind is `disk` (the volatile collector is "
                        "casefile-agent)\n\n");
        usage(stderr);
        return CF_EXIT_USAGE;
    }
    return collect_disk(argc - 1, argv + 1);
}
