/* bench_bms.c: `bmsrig bench bms`: poll-to-reply latency of the fake BMS over a pty, measured
 * from a separate process (the endpoint runs in a forked child): its tail (p50 .. max) beside
 * the host's load average, with the reply-latency model off (the endpoint's own cost) or on
 * (--latency MODEL: what the line delivers against the model's own distribution). */
#include "rig/cli/bench_bms.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rig/cli/bench_tail.h"
#include "rig/cli/cli.h"
#include "rig/cli/cli_rt.h"
#include "rig/line/endpoint.h"
#include "rig/line/link.h"
#include "rig/line/transport.h"
#include "sim/bms.h"
#include "sim/frame.h"
#include "sim/status.h"

static volatile sig_atomic_t g_child_stop;

static void child_on_signal(int sig)
{
    (void)sig;
    g_child_stop = 1;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The child: the fake BMS on the pty master until SIGTERM, with the parent's --rt (the policy
 * and affinity are inherited over fork, the memory lock is not: asked again). */
static int child_main(struct transport *t, const char *profile, const struct link_config *lcfg,
                      const struct rt_host_options *rto)
{
    struct rt_host_state rts;
    rt_host_apply(rto, &rts);   /* the parent reported what the host grants */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = child_on_signal;
    sigaction(SIGTERM, &sa, NULL);
    struct bms_profile p;
    if (bms_profile_builtin(profile, &p, NULL, 0) != BMSRIG_OK)
        return 2;
    p.wake_silence_ms = 0;
    struct bms *b = bms_new(&p, 1);
    struct link *l = b ? link_new(lcfg, b) : NULL;
    if (!l)
        return 3;
    struct bms_inputs in;
    bms_inputs_rest(&in, &p, 3.7, 25.0);
    struct endpoint_config ec = { .tick_s = p.step_ms / 1000.0, .spin_tail_us = rts.spin_us };
    int rc = endpoint_run(&ec, t, b, l, &in, NULL, NULL, &g_child_stop, NULL);
    link_free(l);
    bms_free(b);
    return rc == BMSRIG_OK ? 0 : 3;
}

struct reply_wait {
    bool got;
};

static void on_reply(void *user, const struct frame_event *ev)
{
    struct reply_wait *w = user;
    if (ev->kind == FRAME_EV_FRAME && ev->frame->addr == FRAME_ADDR_FROM_BMS &&
        ev->frame->cmd == FRAME_CMD_READ && ev->frame->arg == 0x30 && ev->frame->payload_len == 12)
        w->got = true;
}

/* Discards whatever is waiting (stale replies), waiting up to wait_ms for stragglers. */
static void drain(int fd, struct frame_decoder *d, int wait_ms)
{
    uint8_t buf[256];
    struct pollfd p = { .fd = fd, .events = POLLIN };
    while (poll(&p, 1, wait_ms) > 0 && (p.revents & POLLIN)) {
        if (read(fd, buf, sizeof(buf)) <= 0)
            break;
    }
    frame_decoder_gap(d);
}

/* One poll: write the request, wait up to timeout_ms for the decoded reply. Returns the
 * latency in ns from just before the write() to the reply's last byte read, or -1. */
static int64_t one_poll(int fd, struct frame_decoder *d, struct reply_wait *w, int timeout_ms)
{
    static const uint8_t poll_frame[] = { 0x55, 0xAA, 0x03, 0x22, 0x01, 0x30, 0x0C, 0x9D, 0xFF };
    w->got = false;
    int64_t t0 = mono_ns();   /* before write(): the reply can come back before it returns */
    if (write(fd, poll_frame, sizeof(poll_frame)) != (ssize_t)sizeof(poll_frame))
        return -1;
    int64_t deadline = t0 + (int64_t)timeout_ms * 1000000;
    uint8_t buf[256];
    while (!w->got) {
        int64_t left = deadline - mono_ns();
        if (left <= 0)
            return -1;
        struct timespec ts = { .tv_sec = (time_t)(left / 1000000000), .tv_nsec = (long)(left % 1000000000) };
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int pr = ppoll(&p, 1, &ts, NULL);
        if (pr < 0 && errno != EINTR)
            return -1;
        if (pr <= 0)
            continue;
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0)
            frame_decoder_feed(d, buf, (size_t)n);
    }
    return mono_ns() - t0;
}

/* Parses --latency's MODEL into `lc` (as `bmsrig bms --latency`). */
static int parse_latency(const char *model, struct link_config *lc)
{
    if (strcmp(model, "off") == 0) {
        lc->latency = LINK_LATENCY_OFF;
    } else if (strcmp(model, "recorded") == 0) {
        lc->latency = LINK_LATENCY_RECORDED;
    } else if (strncmp(model, "fixed:", 6) == 0) {
        double us;
        if (cli_parse_whole(&cmd_bench, "--latency fixed:US", model + 6, 0, 1e6, &us))
            return CLI_EXIT_USAGE;
        lc->latency = LINK_LATENCY_FIXED;
        lc->fixed_latency_us = (int64_t)us;
    } else {
        return cli_usage_error(&cmd_bench, "bms: --latency: '%s' is not off, recorded or "
                                           "fixed:US", model);
    }
    return 0;
}

/* The model's own distribution: `n` draws from a link of its own with the same config [ns]. */
static int model_tail(const struct link_config *lc, const struct bms_profile *p, size_t n,
                      struct bench_tail *t)
{
    struct bms *b = bms_new(p, 1);
    struct link *l = b ? link_new(lc, b) : NULL;
    int64_t *ns = malloc(n * sizeof(*ns));
    if (!l || !ns) {
        free(ns);
        link_free(l);
        bms_free(b);
        return BMSRIG_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        ns[i] = link_draw_latency_us(l) * 1000;
    bench_tail_of(ns, n, t);
    free(ns);
    link_free(l);
    bms_free(b);
    return BMSRIG_OK;
}

int bench_bms_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "polls", required_argument, NULL, 'n' },
        { "profile", required_argument, NULL, 'p' },
        { "latency", required_argument, NULL, 'l' },
        CLI_RT_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    long polls = -1;
    const char *profile = "m365_stock", *latency = "off";
    struct rt_host_options rto;
    rt_host_options_default(&rto);
    bool rt_sub = false;
    struct link_config lc;
    link_config_default(&lc);
    lc.latency = LINK_LATENCY_OFF;
    int c, e;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n': {
            double n;
            if (cli_parse_whole(&cmd_bench, "--polls", optarg, 1, 10000000, &n))
                return CLI_EXIT_USAGE;
            polls = (long)n;
            break;
        }
        case 'p': profile = optarg; break;
        case 'l':
            latency = optarg;
            if ((e = parse_latency(optarg, &lc)))
                return e;
            break;
        default:
            if ((e = cli_rt_option(&cmd_bench, c, optarg, &rto, &rt_sub)) >= 0) {
                if (e)
                    return e;
                break;
            }
            return cli_usage_error(&cmd_bench, "bms: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_bench, "bms: unexpected argument '%s'", argv[optind]);
    if ((e = cli_rt_check(&cmd_bench, &rto, rt_sub)))
        return e;
    /* a model's replies come up to 35 ms late: fewer polls by default */
    if (polls < 0)
        polls = lc.latency == LINK_LATENCY_OFF ? 10000 : 1000;
    struct bms_profile check;
    char err[256];
    if (bms_profile_builtin(profile, &check, err, sizeof(err)) != BMSRIG_OK) {
        fprintf(stderr, "bmsrig bench bms: --profile: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    struct bench_tail model = { 0 };
    if (lc.latency != LINK_LATENCY_OFF && model_tail(&lc, &check, 100000, &model) != BMSRIG_OK)
        return CLI_EXIT_RIG;
    struct rt_host_state rts;
    if ((e = cli_rt_apply("bench bms", &rto, &rts)) != CLI_EXIT_PASS)
        return e;
    struct transport t;
    if (transport_open_pty(&t) != BMSRIG_OK) {
        fprintf(stderr, "bmsrig bench bms: cannot create a pty: %s\n", strerror(errno));
        return CLI_EXIT_RIG;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        transport_close(&t);
        fprintf(stderr, "bmsrig bench bms: fork: %s\n", strerror(errno));
        return CLI_EXIT_RIG;
    }
    if (pid == 0) {
        close(t.keep_fd);
        t.keep_fd = -1;
        int rc = child_main(&t, profile, &lc, &rto);
        transport_close(&t);
        _exit(rc);
    }
    /* parent: the ESC side on our already raw slave */
    int fd = t.keep_fd;
    close(t.fd);
    int64_t *lat = malloc((size_t)polls * sizeof(*lat));
    if (!lat) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        close(fd);
        return CLI_EXIT_RIG;
    }
    struct reply_wait w = { 0 };
    struct frame_decoder d;
    frame_decoder_init(&d, on_reply, &w);
    /* warm-up: wait for the child to answer at all */
    bool up = false;
    for (int i = 0; i < 50 && !up; i++)
        up = one_poll(fd, &d, &w, 100) >= 0;
    drain(fd, &d, 50);
    long answered = 0, lost = 0;
    for (long i = 0; up && i < polls; i++) {
        drain(fd, &d, 0);
        int64_t ns = one_poll(fd, &d, &w, 200);
        if (ns < 0) {
            lost++;
            continue;
        }
        lat[answered++] = ns;
    }
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    close(fd);
    if (!up || answered == 0) {
        fprintf(stderr, "bmsrig bench bms: the fake BMS never answered\n");
        free(lat);
        return CLI_EXIT_RIG;
    }
    struct bench_tail tail;
    bench_tail_of(lat, (size_t)answered, &tail);
    printf("{\"bench\":\"bms\",\"transport\":\"pty\",\"peer\":\"separate process\","
           "\"latency_model\":\"%s\",\"profile\":\"%s\",\"polls\":%ld,\"answered\":%ld,"
           "\"lost\":%ld,", latency, profile, polls, answered, lost);
    bench_tail_json(stdout, "", &tail);
    if (lc.latency == LINK_LATENCY_OFF) {
        printf(",\"goal_p99_us\":100,\"goal_met\":%s", tail.p99_us <= 100.0 ? "true" : "false");
    } else {
        /* the model's own draws, and what the line and the host add to each percentile */
        printf(",\"model_draws\":%zu,", model.n);
        bench_tail_json(stdout, "model_", &model);
        printf(",\"added_p50_us\":%.1f,\"added_p99_us\":%.1f,\"added_p999_us\":%.1f",
               tail.p50_us - model.p50_us, tail.p99_us - model.p99_us,
               tail.p999_us - model.p999_us);
    }
    putchar(',');
    bench_loadavg_json(stdout);
    putchar(',');
    rt_host_json(stdout, &rts);
    printf("}\n");
    free(lat);
    return lost ? CLI_EXIT_FAIL : CLI_EXIT_PASS;
}
