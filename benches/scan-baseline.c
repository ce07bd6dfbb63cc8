/*
 * scan-baseline.c - the physical-limit baseline for benches/scan.sh: the least a TCP connect
 * sweep can do. Non-blocking connect(), one epoll set per process, SO_ERROR to read the
 * answer, a fixed timeout (so in-flight probes expire in the order they started: a FIFO, no
 * timer structure), no retries, no self-connect check, no output but the open ports.
 * With -j N it forks N processes that take every N-th probe, so each has its own descriptor
 * table and epoll set (no shared kernel locks in user space's way).
 *
 * usage: scan-baseline [-j procs] [-c in-flight per process] [-t timeout ms]
 *                      [-p first-last | -p a,b,c] ADDRESS...
 * Prints "ADDRESS PORT" for each open port. Exit 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 65536
#define MAX_HOSTS 65536

struct slot {
    int fd;
    unsigned probe; /* index into the probe space */
    unsigned gen;   /* bumped when the slot is reused */
    long long started_ms;
};

/* launch order: each probe enters once; entries whose slot moved on are skipped */
struct entry {
    int slot;
    unsigned gen;
};

static struct sockaddr_storage hosts[MAX_HOSTS];
static socklen_t host_len[MAX_HOSTS];
static char host_text[MAX_HOSTS][INET6_ADDRSTRLEN];
static int nhosts;
static unsigned short ports[MAX_PORTS];
static int nports;

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void add_host(const char *text) {
    if (nhosts >= MAX_HOSTS) return;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&hosts[nhosts];
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&hosts[nhosts];
    if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        host_len[nhosts] = sizeof *a4;
    } else if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        host_len[nhosts] = sizeof *a6;
    } else {
        fprintf(stderr, "bad address %s\n", text);
        exit(2);
    }
    snprintf(host_text[nhosts], sizeof host_text[0], "%s", text);
    nhosts++;
}

static void parse_ports(const char *spec) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int a, b;
        if (sscanf(tok, "%d-%d", &a, &b) != 2) b = a = atoi(tok);
        for (int p = a; p <= b && p > 0 && p < 65536 && nports < MAX_PORTS; p++) ports[nports++] = p;
    }
}

static void scan(int worker, int workers, int conc, int timeout_ms) {
    unsigned total = (unsigned)nhosts * (unsigned)nports;
    unsigned mine = total / workers + 1;
    struct slot *slots = calloc(conc, sizeof *slots);
    int *free_list = malloc(conc * sizeof *free_list);
    struct entry *order = malloc(mine * sizeof *order);
    struct epoll_event *events = malloc(1024 * sizeof *events);
    unsigned head = 0, tail = 0;
    int nfree = conc, inflight = 0;
    for (int i = 0; i < conc; i++) free_list[i] = conc - 1 - i, slots[i].fd = -1;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    unsigned next = worker;
    /* port-major order: one port across every host, then the next port */
    while (next < total || inflight > 0) {
        while (inflight < conc && next < total) {
            unsigned h = next % nhosts, p = next / nhosts;
            struct sockaddr_storage sa = hosts[h];
            if (sa.ss_family == AF_INET) ((struct sockaddr_in *)&sa)->sin_port = htons(ports[p]);
            else ((struct sockaddr_in6 *)&sa)->sin6_port = htons(ports[p]);
            int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) break; /* out of descriptors: wait for some to free */
            if (connect(fd, (struct sockaddr *)&sa, host_len[h]) < 0 && errno != EINPROGRESS) {
                close(fd); /* refused or unreachable at once: not open */
                next += workers;
                continue;
            }
            int s = free_list[--nfree];
            slots[s].fd = fd;
            slots[s].probe = next;
            slots[s].gen++;
            slots[s].started_ms = now_ms();
            order[tail++] = (struct entry){s, slots[s].gen};
            struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (unsigned)s};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            inflight++;
            next += workers;
        }
        while (head < tail && (slots[order[head].slot].gen != order[head].gen || slots[order[head].slot].fd < 0)) head++;
        int wait = 0;
        if (!(inflight < conc && next < total) && head < tail) {
            wait = (int)(slots[order[head].slot].started_ms + timeout_ms - now_ms());
            if (wait < 0) wait = 0;
        }
        int n = epoll_wait(ep, events, 1024, wait);
        for (int i = 0; i < n; i++) {
            int s = (int)events[i].data.u32;
            if (slots[s].fd < 0) continue;
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(slots[s].fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err == 0) {
                /* one write per line: with -j the processes share the pipe, and writes up to
                 * PIPE_BUF never interleave */
                char line[INET6_ADDRSTRLEN + 16];
                unsigned pr = slots[s].probe;
                int len = snprintf(line, sizeof line, "%s %u\n", host_text[pr % nhosts], ports[pr / nhosts]);
                if (write(1, line, (size_t)len) < 0) {}
            }
            close(slots[s].fd);
            slots[s].fd = -1;
            free_list[nfree++] = s;
            inflight--;
        }
        long long t = now_ms();
        while (head < tail) {
            struct slot *sl = &slots[order[head].slot];
            if (sl->gen == order[head].gen && sl->fd >= 0) {
                if (sl->started_ms + timeout_ms > t) break;
                close(sl->fd); /* no answer: filtered */
                sl->fd = -1;
                free_list[nfree++] = order[head].slot;
                inflight--;
            }
            head++;
        }
    }
}

int main(int argc, char **argv) {
    int workers = 1, conc = 1000, timeout_ms = 1000, opt;
    while ((opt = getopt(argc, argv, "j:c:t:p:")) != -1) {
        switch (opt) {
        case 'j': workers = atoi(optarg); break;
        case 'c': conc = atoi(optarg); break;
        case 't': timeout_ms = atoi(optarg); break;
        case 'p': parse_ports(optarg); break;
        default: fprintf(stderr, "usage: %s [-j N] [-c N] [-t ms] [-p ports] ADDRESS...\n", argv[0]); return 2;
        }
    }
    if (nports == 0) parse_ports("1-65535");
    for (int i = optind; i < argc; i++) add_host(argv[i]);
    if (nhosts == 0 || workers < 1 || conc < 1) return 2;
    for (int w = 0; w < workers; w++) {
        if (workers == 1) { scan(0, 1, conc, timeout_ms); return 0; }
        pid_t pid = fork();
        if (pid == 0) { scan(w, workers, conc, timeout_ms); _exit(0); }
    }
    while (wait(NULL) > 0) {}
    return 0;
}
