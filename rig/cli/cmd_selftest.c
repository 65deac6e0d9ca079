/* cmd_selftest.c: `bmsrig selftest --rig FILE`: walks every DAC channel (low end, middle, high
 * end) and every fault line, checking read-back where the board has it, then leaves the bench
 * in its safe state. One TAP-style line per check on stdout. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rig/bench/board.h"
#include "rig/cli/cli.h"
#include "rig/bench/board_watch.h"
#include "rig/bench/rig_hw.h"
#include "rig/scenario/watchdog.h"
#include "sim/status.h"

struct st_run {
    int n, failed;
    bool io_error;
};

static void report(struct st_run *r, bool ok, const char *text)
{
    r->n++;
    if (!ok)
        r->failed++;
    printf("%s %d - %s\n", ok ? "ok" : "not ok", r->n, text);
}

static int check_channel(struct rig_hw *hw, const struct board *b, int i, struct st_run *r)
{
    const struct board_channel *c = &b->channels[i];
    double pts[3] = { c->min, 0.5 * (c->min + c->max), c->max };
    char text[160];
    for (int k = 0; k < 3; k++) {
        rig_hw_set(hw, i, pts[k]);
        int rc = rig_hw_flush(hw);
        if (rc != BMSRIG_OK) {
            r->io_error = true;
            snprintf(text, sizeof text, "%s = %g: USB write failed", c->signal, pts[k]);
            report(r, false, text);
            return rc;
        }
        uint16_t want = rig_hw_code(hw, i), got = 0;
        if (!b->readback) {
            snprintf(text, sizeof text, "%s = %g written as code 0x%04x # SKIP no read-back",
                     c->signal, pts[k], want);
            report(r, true, text);
            continue;
        }
        rc = rig_hw_readback(hw, i, &got);
        if (rc == BMSRIG_ERR_IO || rc == BMSRIG_ERR_TIMEOUT)
            r->io_error = true;
        if (rc == BMSRIG_OK)
            snprintf(text, sizeof text, "%s = %g: code 0x%04x read back as 0x%04x", c->signal,
                     pts[k], want, got);
        else
            snprintf(text, sizeof text, "%s = %g: code 0x%04x, read-back failed: %s", c->signal,
                     pts[k], want, bmsrig_strerror(rc));
        report(r, rc == BMSRIG_OK && got == want, text);
    }
    return BMSRIG_OK;
}

static void check_fault_state(struct rig_hw *hw, const char *name, const char *state,
                              struct st_run *r)
{
    char text[160];
    rig_hw_fault(hw, name, state);
    uint16_t mask, want, levels = 0;
    rig_hw_fault_expect(hw, name, &mask, &want);
    int rc = rig_hw_flush(hw);
    if (rc == BMSRIG_OK)
        rc = rig_hw_read_pins(hw, &levels);
    if (rc != BMSRIG_OK) {
        r->io_error = true;
        snprintf(text, sizeof text, "fault %s %s: pin read failed: %s", name, state,
                 bmsrig_strerror(rc));
    } else {
        snprintf(text, sizeof text, "fault %s %s: pins 0x%04x expected 0x%04x read 0x%04x",
                 name, state, mask, want, levels & mask);
    }
    report(r, rc == BMSRIG_OK && (levels & mask) == want, text);
}

static bool selftest_interrupted(void) { return rig_hw_interrupted(NULL); }

static int run_selftest(int argc, char **argv)
{
    const char *rig = NULL;
    double lock_wait = 0, watchdog_s = WATCHDOG_DEFAULT_S;
    static const struct option opts[] = { { "rig", required_argument, NULL, 'r' },
                                          { "lock-wait", required_argument, NULL, 'w' },
                                          { "watchdog", required_argument, NULL, 'W' },
                                          { NULL, 0, NULL, 0 } };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
        if (c == 'r')
            rig = optarg;
        else if (c == 'w') {
            if (cli_parse_number(&cmd_selftest, "--lock-wait", optarg, 0, CLI_LOCK_WAIT_MAX_S,
                                 &lock_wait) != 0)
                return CLI_EXIT_USAGE;
        } else if (c == 'W') {
            /* as `run --watchdog`: S >= WATCHDOG_MIN_S, 0 = off */
            if (cli_parse_number(&cmd_selftest, "--watchdog", optarg, 0, 1e6, &watchdog_s) != 0)
                return CLI_EXIT_USAGE;
            if (watchdog_s > 0 && watchdog_s < WATCHDOG_MIN_S)
                return cli_usage_error(&cmd_selftest, "--watchdog: %g s is below %g s (0 turns "
                                                      "the watchdog off)", watchdog_s,
                                       WATCHDOG_MIN_S);
        } else
            return cli_usage_error(&cmd_selftest, "unknown option");
    }
    if (!rig)
        return cli_usage_error(&cmd_selftest, "--rig FILE is required");
    if (optind < argc)
        return cli_usage_error(&cmd_selftest, "unexpected argument '%s'", argv[optind]);
    rig_hw_signals_install();
    struct rig_hw *hw;
    char err[1024];
    /* the description's top-level code watched first (a pattern bomb ignores the instruction
     * budget and the signals): given up after --watchdog S or on SIGINT/SIGTERM */
    int crc = board_check_watched(rig, watchdog_s, selftest_interrupted, err, sizeof err);
    if (crc != BMSRIG_OK) {
        fprintf(stderr, "bmsrig selftest: %s\n", err);
        fflush(stderr);
        /* the loading thread is still inside the description: leave without cleanup */
        _exit(crc == BMSRIG_ERR_STATE ? CLI_EXIT_INTERRUPTED : CLI_EXIT_USAGE);
    }
    int rc = rig_hw_open_file_wait(&hw, rig, lock_wait, NULL, err, sizeof err);
    if (rc != BMSRIG_OK) {
        fprintf(stderr, "bmsrig selftest: %s\n", err);
        if (rig_hw_interrupted(NULL))
            return CLI_EXIT_INTERRUPTED;
        return rc == BMSRIG_ERR_PARSE ? CLI_EXIT_USAGE : CLI_EXIT_RIG;
    }
    const struct board *b = rig_hw_board(hw);
    struct st_run r = { 0 };
    printf("# selftest of bench '%s' (%s)\n", b->name, b->path);
    for (int i = 0; i < b->nchannels && !r.io_error && !rig_hw_interrupted(NULL); i++) {
        check_channel(hw, b, i, &r);
        rig_hw_set(hw, i, b->channels[i].safe);
    }
    for (int i = 0; i < b->nfaults && !r.io_error && !rig_hw_interrupted(NULL); i++) {
        const struct board_fault *f = &b->faults[i];
        if (f->npos == 0) {
            check_fault_state(hw, f->name, "on", &r);
            check_fault_state(hw, f->name, "off", &r);
        } else {
            for (int p = 0; p < f->npos; p++)
                check_fault_state(hw, f->name, f->pos[p].name, &r);
            check_fault_state(hw, f->name, "off", &r);
        }
    }
    int safe_rc = rig_hw_safe(hw);
    rig_hw_close(hw);
    printf("1..%d\n# %d of %d checks failed; bench left in its safe state%s\n", r.n, r.failed,
           r.n, safe_rc == BMSRIG_OK ? "" : " (NOT confirmed)");
    if (rig_hw_interrupted(NULL))
        return CLI_EXIT_INTERRUPTED;
    if (r.io_error) {
        fprintf(stderr, "bmsrig selftest: rig fault: USB communication with the FTDI failed\n");
        return CLI_EXIT_RIG;
    }
    return r.failed ? CLI_EXIT_RIG : CLI_EXIT_PASS;
}

const struct cli_command cmd_selftest = {
    .name = "selftest",
    .summary = "check a bench: every DAC channel (with read-back) and fault relay",
    .usage = "usage: bmsrig selftest --rig FILE|NAME [--lock-wait S] [--watchdog S]\n"
             "\n"
             "Opens the bench described by FILE (or board NAME: NAME.lua in $BMSRIG_BOARDS_DIR,\n"
             "hw/boards, then the installed boards), takes its lock, and walks\n"
             "every DAC channel through its minimum, middle and maximum, reading the DAC\n"
             "register back over SPI when the description says `readback = true` (AD5676R\n"
             "read-back command, LTC2668 SDO echo). Every relay is switched on and off and every\n"
             "resistor-bank position is selected, checking the drive pins and the relay's sense\n"
             "input. The bench is left in its safe state. Output: one 'ok N - ...' / 'not ok N -\n"
             "...' line per check.\n"
             "\n"
             "options:\n"
             "  --rig FILE     the rig description, or a board name such as 'emulated' (required)\n"
             "  --lock-wait S  if another run holds the bench, wait up to S seconds for it\n"
             "                 (a line on stderr every 10 s) instead of failing at once\n"
             "                 (exit 3); 0..604800, default 0\n"
             "  --watchdog S   wall-clock limit, S >= 0.1 (default 60; 0 = off), on loading\n"
             "                 the description: top-level code stuck that long (inside a C\n"
             "                 call such as a string pattern match, which the instruction\n"
             "                 budget cannot stop) is given up with a message naming the\n"
             "                 file (exit 2); SIGINT/SIGTERM give it up at once (exit 4)\n"
             "\n"
             "exit: 0 all checks passed, 2 bad description (file:line), 3 rig fault (device\n"
             "missing, bench locked, USB error, a read-back mismatch), 4 interrupted\n",
    .run = run_selftest,
};
