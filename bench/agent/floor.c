/* bench/agent/floor.c: the kernel's share of casefile-agent's process walk, as a floor.
 *
 * Reads, for every pid in /proc, the same sources the agent reads (stat, status, cmdline,
 * environ, cgroup, maps; the exe, cwd, root, ns/{pid,net,mnt} links; every fd link) and
 * /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,unix,packet}, into one buffer that is then dropped: no
 * parsing, no JSON, no hashing, no output, one thread. No collector that gathers this evidence
 * can take less CPU than this on the same host; the bench prints it next to the agent. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[1 << 16];

static void slurp(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return;
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    close(fd);
}

static void links(int dfd, const char *dir)
{
    DIR *d;
    struct dirent *e;
    int fd = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            (void)readlinkat(fd, e->d_name, buf, sizeof(buf));
    closedir(d);
}

int main(void)
{
    static const char *files[] = {"stat", "status", "cmdline", "environ", "cgroup", "maps"};
    static const char *lk[] = {"exe", "cwd", "root", "ns/pid", "ns/net", "ns/mnt"};
    static const char *net[] = {"tcp", "tcp6", "udp", "udp6", "raw", "raw6", "unix", "packet"};
    DIR *proc = opendir("/proc");
    struct dirent *e;
    size_t i;
    int nfd;
    if (!proc)
        return 1;
    while ((e = readdir(proc)) != NULL) {
        int dfd;
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        dfd = openat(dirfd(proc), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            continue;
        for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
            slurp(dfd, files[i]);
        for (i = 0; i < sizeof(lk) / sizeof(lk[0]); i++)
            (void)readlinkat(dfd, lk[i], buf, sizeof(buf));
        links(dfd, "fd");
        close(dfd);
    }
    closedir(proc);
    nfd = open("/proc/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (i = 0; nfd >= 0 && i < sizeof(net) / sizeof(net[0]); i++)
        slurp(nfd, net[i]);
    if (nfd >= 0)
        close(nfd);
    return 0;
}
