/* Replays a fuzz target's corpus, then a bounded number of deterministic mutations of it.
 * Used when the target is built without libFuzzer, so fuzz targets run in every `make test`.
 * usage: TARGET [CORPUS_DIR_OR_FILE...]   (CF_FUZZ_ITERATIONS, default 3000) */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CF_REPLAY_MAX_INPUT (4u << 20)
#define MAX_FILES           4096

static uint8_t *inputs[MAX_FILES];
static size_t sizes[MAX_FILES];
static size_t count;

static void add_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf;
    size_t n;
    if (!fp || count >= MAX_FILES) {
        if (fp)
            fclose(fp);
        return;
    }
    buf = malloc(CF_REPLAY_MAX_INPUT);
    n = buf ? fread(buf, 1, CF_REPLAY_MAX_INPUT, fp) : 0;
    fclose(fp);
    if (!buf)
        return;
    inputs[count] = buf;
    sizes[count] = n;
    count++;
}

static void add_path(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    if (stat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        add_file(path);
        return;
    }
    d = opendir(path);
    while (d && (e = readdir(d))) {
        char p[4096];
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        add_file(p);
    }
    if (d)
        closedir(d);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    const char *it = getenv("CF_FUZZ_ITERATIONS");
    long iterations = it ? strtol(it, NULL, 10) : 3000;
    static uint8_t work[CF_REPLAY_MAX_INPUT];
    for (int i = 1; i < argc; i++)
        add_path(argv[i]);
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
    for (size_t i = 0; i < count; i++)
        LLVMFuzzerTestOneInput(inputs[i], sizes[i]);
    for (long k = 0; k < iterations && count > 0; k++) {
        size_t i = next() % count, n = sizes[i];
        memcpy(work, inputs[i], n);
        switch (next() % 4) {
        case 0: /* flip bytes */
            for (int f = 0; f < 8 && n; f++)
                work[next() % n] ^= (uint8_t)(1u << (next() % 8));
            break;
        case 1: /* truncate */
            n = n ? next() % n : 0;
            break;
        case 2: /* interesting bytes */
            for (int f = 0; f < 4 && n; f++) {
                static const uint8_t b[] = {0, 0xff, '"', '<', '>', '\\', '\n', '{', '[', 0x80};
                work[next() % n] = b[next() % sizeof(b)];
            }
            break;
        default: /* splice two inputs */
            if (count > 1) {
                size_t j = next() % count, cut = n ? next() % n : 0;
                size_t m =
                    sizes[j] < CF_REPLAY_MAX_INPUT - cut ? sizes[j] : CF_REPLAY_MAX_INPUT - cut;
                memcpy(work + cut, inputs[j], m);
                n = cut + m;
            }
        }
        LLVMFuzzerTestOneInput(work, n);
    }
    for (size_t i = 0; i < count; i++)
        free(inputs[i]);
    printf("replayed %zu corpus inputs and %ld mutations\n", count, count ? iterations : 0);
    return 0;
}
