// The receiving side of scripts/bench/chat: N WebSocket clients on a few epoll threads.
//
// The Python load generator spent longer parsing 5,000 copies of each message than the server spent
// sending them, so its latency figures measured itself. This one costs a few microseconds per frame.
//
// Each client opens ws://127.0.0.1:PORT/api/v1/ws with "Authorization: Bearer $WS_TOKEN", subscribes to
// topic $WS_TOPIC and then reads. A message whose text is "bench <number> <unix ns when sent>" is
// timed by the kernel's receive timestamp of its bytes (SO_TIMESTAMPNS, CLOCK_REALTIME: the clock of the
// Python sender's time.time_ns()), so the figure is when the frame reached the client's socket, not when
// this program got round to reading it; it runs at low priority (nice) beside the node on one machine.
//
// stdout, one JSON line each:
//   {"event":"ready","workers":[{"worker","subscribed","failed","failure_samples","seconds"}…]}
//     once every client has subscribed or failed;
//   then, after "sent <unix seconds deadline>" (or "abort") arrives on stdin and every client has every
//   message or the deadline passes:
//   {"event":"done","workers":[{"worker","latencies","worst_per_message","reached","counters",
//     "error_samples","worst_lag_ms"}…]}
// worst_lag_ms: the longest one pass over the ready sockets took after the clients were ready, so the
// most a frame can have waited for this program rather than for the server.
//
//   cc -O2 -pthread -o ws_clients ws_clients.c
//   WS_TOKEN=… WS_TOPIC=… ws_clients PORT CLIENTS MESSAGES THREADS CONCURRENCY TIMEOUT_SECONDS

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CONNECTING, HANDSHAKE, SUBSCRIBING, STREAMING, DONE };
enum { SAMPLES = 3, SAMPLE_LEN = 200, READ_CHUNK = 65536 };

typedef struct {
    int fd, state;
    double started; // when the connect began (monotonic seconds)
    unsigned char *buf;
    size_t len, cap;
    unsigned char *msg; // a fragmented message being put together
    size_t mlen, mcap;
    unsigned char *seen; // one byte per bench message number
    int seen_count;
    long long last_seq;
    int stamped; // the last read carried the kernel's receive time
} Client;

typedef struct {
    int index, count;
    Client *clients;
    int epfd;
    int next, in_flight, subscribed, failed;
    char failure_samples[SAMPLES][SAMPLE_LEN];
    int failure_count;
    char error_samples[SAMPLES][SAMPLE_LEN];
    int error_count;
    double open_seconds;
    double *latencies;
    size_t nlat, caplat;
    double *worst; // per message, the slowest of this thread's clients
    int *reached;  // per message, how many of this thread's clients got it
    long received, duplicates, out_of_order, errors, closed, complete, kernel_stamped;
    double worst_lag_ms;
    pthread_t thread;
} Worker;

static int port, messages, concurrency, pause_us;
static double timeout_seconds;
static const char *token, *topic;
static char handshake[4096];
static unsigned char subscribe_frame[512];
static size_t subscribe_len;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static int ready_workers;
static _Atomic double deadline = 0;   // unix seconds; 0 until the parent says it has sent everything
static atomic_bool stopping = false; // "abort", or stdin closed

static double mono(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static long long real_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void *grow(void *p, size_t *cap, size_t need) {
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    void *q = realloc(p, c);
    if (!q) {
        perror("realloc");
        exit(2);
    }
    *cap = c;
    return q;
}

static void sample(char dst[SAMPLES][SAMPLE_LEN], int *count, const char *prefix, const void *text, size_t len) {
    if (*count >= SAMPLES) return;
    size_t p = strlen(prefix);
    if (p > SAMPLE_LEN - 1) p = SAMPLE_LEN - 1;
    memcpy(dst[*count], prefix, p);
    if (len > SAMPLE_LEN - 1 - p) len = SAMPLE_LEN - 1 - p;
    memcpy(dst[*count] + p, text, len);
    dst[*count][p + len] = 0;
    (*count)++;
}

// A masked client frame (RFC 6455 §5.3; the mask need not be secret for a benchmark).
static size_t client_frame(unsigned char *out, int opcode, const unsigned char *payload, size_t len) {
    static const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t h = 0;
    out[h++] = 0x80 | opcode;
    if (len < 126) {
        out[h++] = 0x80 | len;
    } else {
        out[h++] = 0x80 | 126;
        out[h++] = len >> 8;
        out[h++] = len & 0xff;
    }
    memcpy(out + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < len; i++) out[h + i] = payload[i] ^ mask[i % 4];
    return h + len;
}

static int send_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1; // a few hundred bytes into an idle socket: anything else is a failure
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void finish(Worker *w, Client *c) {
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->state = DONE;
}

static void fail(Worker *w, Client *c, const char *prefix, const void *text, size_t len) {
    sample(w->failure_samples, &w->failure_count, prefix, text, len);
    w->failed++;
    w->in_flight--;
    finish(w, c);
}

// The value of "key":"…" (no escapes expected) or NULL.
static const char *string_field(const char *json, size_t len, const char *key, size_t *out_len) {
    char needle[64];
    int n = snprintf(needle, sizeof needle, "\"%s\":\"", key);
    const char *p = memmem(json, len, needle, (size_t)n);
    if (!p) return NULL;
    p += n;
    const char *end = memchr(p, '"', len - (size_t)(p - json));
    if (!end) return NULL;
    *out_len = (size_t)(end - p);
    return p;
}

static int type_is(const char *json, size_t len, const char *type) {
    size_t n;
    const char *v = string_field(json, len, "type", &n);
    return v && n == strlen(type) && memcmp(v, type, n) == 0;
}

static void on_message(Worker *w, Client *c, const char *json, size_t len, long long now) {
    if (c->state == SUBSCRIBING) {
        if (type_is(json, len, "subscribed")) {
            c->state = STREAMING;
            w->subscribed++;
            w->in_flight--;
        } else {
            fail(w, c, "subscribe answered ", json, len);
        }
        return;
    }
    if (type_is(json, len, "error")) {
        w->errors++;
        sample(w->error_samples, &w->error_count, "", json, len);
        return;
    }
    if (!type_is(json, len, "message")) return;
    size_t tlen;
    const char *text = string_field(json, len, "text", &tlen);
    if (!text || tlen < 6 || memcmp(text, "bench ", 6) != 0) return;
    char *end;
    long number = strtol(text + 6, &end, 10);
    long long sent = strtoll(end, NULL, 10);
    const char *seq_at = memmem(json, len, "\"seq\":", 6);
    long long seq = seq_at ? strtoll(seq_at + 6, NULL, 10) : 0;
    if (number >= 0 && number < messages) {
        if (c->seen[number]) {
            w->duplicates++;
            return;
        }
        c->seen[number] = 1;
        c->seen_count++;
    }
    if (seq <= c->last_seq) w->out_of_order++;
    if (seq > c->last_seq) c->last_seq = seq;
    double ms = (now - sent) / 1e6;
    w->latencies = grow(w->latencies, &w->caplat, (w->nlat + 1) * sizeof(double));
    w->latencies[w->nlat++] = ms;
    w->received++;
    if (c->stamped) w->kernel_stamped++;
    if (number >= 0 && number < messages) {
        w->reached[number]++;
        if (ms > w->worst[number]) w->worst[number] = ms;
    }
    if (c->seen_count == messages) w->complete++;
}

// Takes whole frames off the front of the buffer; returns -1 once the client is finished.
static int frames(Worker *w, Client *c, long long now) {
    size_t off = 0;
    while (c->len - off >= 2) {
        unsigned char *b = c->buf + off;
        int fin = b[0] & 0x80, opcode = b[0] & 0x0f, masked = b[1] & 0x80;
        uint64_t plen = b[1] & 0x7f;
        size_t h = 2;
        if (plen == 126) {
            if (c->len - off < 4) break;
            plen = ((uint64_t)b[2] << 8) | b[3];
            h = 4;
        } else if (plen == 127) {
            if (c->len - off < 10) break;
            plen = 0;
            for (int i = 0; i < 8; i++) plen = (plen << 8) | b[2 + i];
            h = 10;
        }
        if (masked) h += 4;
        if (c->len - off < h + plen) break;
        unsigned char *payload = b + h;
        if (masked)
            for (uint64_t i = 0; i < plen; i++) payload[i] ^= b[h - 4 + i % 4];
        off += h + plen;
        switch (opcode) {
        case 0x1:
        case 0x2:
        case 0x0:
            if (opcode != 0 || c->mlen > 0 || !fin) {
                c->msg = grow(c->msg, &c->mcap, c->mlen + plen);
                memcpy(c->msg + c->mlen, payload, plen);
                c->mlen += plen;
                if (fin) {
                    on_message(w, c, (const char *)c->msg, c->mlen, now);
                    c->mlen = 0;
                }
            } else {
                on_message(w, c, (const char *)payload, plen, now);
            }
            break;
        case 0x9: { // ping: answer with the same payload
            unsigned char pong[256];
            if (plen <= 125) send_all(c->fd, pong, client_frame(pong, 0xA, payload, plen));
            break;
        }
        case 0x8: // the server closes
            if (c->state == STREAMING) {
                w->closed++;
                finish(w, c);
            } else {
                fail(w, c, "closed by the server before subscribing", "", 0);
            }
            return -1;
        default:
            break;
        }
        if (c->state == DONE) return -1;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    return 0;
}

static void on_readable(Worker *w, Client *c) {
    c->buf = grow(c->buf, &c->cap, c->len + READ_CHUNK);
    // The kernel's receive time (SO_TIMESTAMPNS): when the bytes reached this socket, however late this
    // thread gets round to reading them. Several frames in one read get the time of the last one.
    struct iovec iov = {.iov_base = c->buf + c->len, .iov_len = READ_CHUNK};
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
    ssize_t n = recvmsg(c->fd, &msg, 0);
    long long now = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); n > 0 && cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec t;
            memcpy(&t, CMSG_DATA(cm), sizeof t);
            now = (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
        }
    }
    c->stamped = now != 0;
    if (now == 0) now = real_ns();
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        if (c->state == STREAMING) {
            w->closed++;
            finish(w, c);
        } else {
            const char *why = n == 0 ? "the server closed the connection" : strerror(errno);
            fail(w, c, "read: ", why, strlen(why));
        }
        return;
    }
    c->len += (size_t)n;
    if (c->state == HANDSHAKE) {
        unsigned char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!end) return;
        if (c->len < 12 || memcmp(c->buf, "HTTP/1.1 101", 12) != 0) {
            unsigned char *eol = memmem(c->buf, c->len, "\r\n", 2);
            fail(w, c, "handshake answered ", c->buf, (size_t)(eol - c->buf));
            return;
        }
        size_t head = (size_t)(end + 4 - c->buf);
        memmove(c->buf, c->buf + head, c->len - head);
        c->len -= head;
        if (send_all(c->fd, subscribe_frame, subscribe_len) < 0) {
            fail(w, c, "subscribe: ", strerror(errno), strlen(strerror(errno)));
            return;
        }
        c->state = SUBSCRIBING;
    }
    frames(w, c, now);
}

static void open_next(Worker *w) {
    Client *c = &w->clients[w->next++];
    c->started = mono();
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) {
        sample(w->failure_samples, &w->failure_count, "socket: ", strerror(errno), strlen(strerror(errno)));
        w->failed++;
        c->state = DONE;
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    w->in_flight++;
    c->state = CONNECTING;
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
    epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS)
        fail(w, c, "connect: ", strerror(errno), strlen(strerror(errno)));
}

static void on_event(Worker *w, Client *c, uint32_t events) {
    if (c->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (events & (EPOLLERR | EPOLLHUP))) {
            const char *why = strerror(err ? err : ECONNRESET);
            fail(w, c, "connect: ", why, strlen(why));
            return;
        }
        if (!(events & EPOLLOUT)) return;
        if (send_all(c->fd, handshake, strlen(handshake)) < 0) {
            fail(w, c, "handshake: ", strerror(errno), strlen(strerror(errno)));
            return;
        }
        c->state = HANDSHAKE;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(w, c);
}

static void *run(void *arg) {
    Worker *w = arg;
    struct epoll_event events[512];
    double began = mono(), last_scan = began;
    int ready = 0;
    for (;;) {
        if (!ready) {
            while (w->next < w->count && w->in_flight < concurrency) open_next(w);
            double now = mono();
            if (now - last_scan >= 1) { // handshakes that take too long count as failures
                last_scan = now;
                for (int i = 0; i < w->next; i++) {
                    Client *c = &w->clients[i];
                    if (c->state < STREAMING && now - c->started > timeout_seconds)
                        fail(w, c, "timed out after ", "the handshake or subscription", 29);
                }
            }
            if (w->next == w->count && w->in_flight == 0) {
                ready = 1;
                w->open_seconds = mono() - began;
                pthread_mutex_lock(&lock);
                ready_workers++;
                pthread_cond_broadcast(&ready_cond);
                pthread_mutex_unlock(&lock);
            }
        } else {
            if (atomic_load(&stopping)) break;
            double until = atomic_load(&deadline);
            if (until > 0 && (w->complete == w->subscribed || real_ns() / 1e9 > until)) break;
        }
        int n = epoll_wait(w->epfd, events, 512, 20);
        if (n < 0 && errno != EINTR) {
            perror("epoll_wait");
            exit(2);
        }
        double t0 = mono();
        for (int i = 0; i < n; i++) on_event(w, events[i].data.ptr, events[i].events);
        if (ready) {
            double lag = (mono() - t0) * 1000;
            if (lag > w->worst_lag_ms) w->worst_lag_ms = lag;
            // Collect a moment's frames per pass: otherwise the kernel wakes this thread (an
            // inter-processor interrupt, charged to the server's writes on this shared machine) for
            // each of thousands of frames, which a remote client would cost its own machine. The
            // kernel's timestamps make the pause invisible in the latencies.
            if (pause_us > 0) usleep((useconds_t)pause_us);
        }
    }
    for (int i = 0; i < w->count; i++)
        if (w->clients[i].fd >= 0 && w->clients[i].state != DONE) close(w->clients[i].fd);
    return NULL;
}

static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 0x20) printf("\\u%04x", ch);
        else putchar(ch);
    }
    putchar('"');
}

static void json_samples(char samples[SAMPLES][SAMPLE_LEN], int count) {
    putchar('[');
    for (int i = 0; i < count; i++) {
        if (i) putchar(',');
        json_string(samples[i]);
    }
    putchar(']');
}

int main(int argc, char **argv) {
    if (argc != 7 || !getenv("WS_TOKEN") || !getenv("WS_TOPIC")) {
        fprintf(stderr, "usage: WS_TOKEN=… WS_TOPIC=… %s PORT CLIENTS MESSAGES THREADS CONCURRENCY TIMEOUT\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    int clients = atoi(argv[2]), threads = atoi(argv[4]);
    messages = atoi(argv[3]);
    concurrency = atoi(argv[5]);
    timeout_seconds = atof(argv[6]);
    pause_us = getenv("WS_PAUSE_US") ? atoi(getenv("WS_PAUSE_US")) : 500;
    token = getenv("WS_TOKEN");
    topic = getenv("WS_TOPIC");
    if (clients < 1 || messages < 1 || threads < 1 || concurrency < 1 || strlen(token) > 2000 || strlen(topic) > 200) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    if (threads > clients) threads = clients;
    snprintf(handshake, sizeof handshake,
             "GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
             "Authorization: Bearer %s\r\n\r\n",
             port, token);
    char subscribe[300];
    int slen = snprintf(subscribe, sizeof subscribe, "{\"type\":\"subscribe\",\"topic\":\"%s\",\"after\":0}", topic);
    subscribe_len = client_frame(subscribe_frame, 0x1, (const unsigned char *)subscribe, (size_t)slen);

    Worker *workers = calloc((size_t)threads, sizeof(Worker));
    for (int t = 0; t < threads; t++) {
        Worker *w = &workers[t];
        w->index = t;
        w->count = clients / threads + (t < clients % threads);
        w->clients = calloc((size_t)w->count, sizeof(Client));
        for (int i = 0; i < w->count; i++) {
            w->clients[i].fd = -1;
            w->clients[i].seen = calloc((size_t)messages, 1);
        }
        w->worst = calloc((size_t)messages, sizeof(double));
        w->reached = calloc((size_t)messages, sizeof(int));
        w->epfd = epoll_create1(0);
        pthread_create(&w->thread, NULL, run, w);
    }
    pthread_mutex_lock(&lock);
    while (ready_workers < threads) pthread_cond_wait(&ready_cond, &lock);
    pthread_mutex_unlock(&lock);
    printf("{\"event\":\"ready\",\"workers\":[");
    for (int t = 0; t < threads; t++) {
        Worker *w = &workers[t];
        printf("%s{\"worker\":%d,\"subscribed\":%d,\"failed\":%d,\"seconds\":%.3f,\"failure_samples\":", t ? "," : "",
               t, w->subscribed, w->failed, w->open_seconds);
        json_samples(w->failure_samples, w->failure_count);
        putchar('}');
    }
    printf("]}\n");
    fflush(stdout);

    char line[256];
    if (fgets(line, sizeof line, stdin) && strncmp(line, "sent ", 5) == 0) {
        double until = atof(line + 5);
        atomic_store(&deadline, until > 0 ? until : 1);
    } else {
        atomic_store(&stopping, true);
    }
    for (int t = 0; t < threads; t++) pthread_join(workers[t].thread, NULL);

    printf("{\"event\":\"done\",\"workers\":[");
    for (int t = 0; t < threads; t++) {
        Worker *w = &workers[t];
        printf("%s{\"worker\":%d,\"worst_lag_ms\":%.3f,\"counters\":{\"received\":%ld,\"duplicates\":%ld,"
               "\"out_of_order\":%ld,\"errors\":%ld,\"closed\":%ld,\"complete\":%ld,\"kernel_stamped\":%ld},"
               "\"error_samples\":",
               t ? "," : "", t, w->worst_lag_ms, w->received, w->duplicates, w->out_of_order, w->errors, w->closed,
               w->complete, w->kernel_stamped);
        json_samples(w->error_samples, w->error_count);
        printf(",\"latencies\":[");
        for (size_t i = 0; i < w->nlat; i++) printf("%s%.3f", i ? "," : "", w->latencies[i]);
        printf("],\"worst_per_message\":[");
        for (int i = 0; i < messages; i++) printf("%s%.3f", i ? "," : "", w->worst[i]);
        printf("],\"reached\":[");
        for (int i = 0; i < messages; i++) printf("%s%d", i ? "," : "", w->reached[i]);
        printf("]}");
    }
    printf("]}\n");
    fflush(stdout);
    return 0;
}
