/* cmd_bms_internal.h: what `bmsrig bms`'s two files share (cmd_bms.c: options, the live fake
 * BMS; cmd_bms_scenario.c: --scenario); private to rig/cli/cmd_bms*.c, nothing else includes it. */
#ifndef BMSRIG_RIG_CLI_CMD_BMS_INTERNAL_H
#define BMSRIG_RIG_CLI_CMD_BMS_INTERNAL_H

#include <signal.h>
#include <stdint.h>

#include "rig/cli/cli_rt.h"
#include "rig/scenario/scenario.h"

/* Set by the signal handler only (cmd_bms.c). */
extern volatile sig_atomic_t cmd_bms_stop;
void cmd_bms_on_signal(int sig);

/* What --scenario needs from the command line. */
struct bms_scenario_args {
    const char *path;
    const char *port;              /* NULL with --pty */
    const char *dash_port;         /* NULL, a device, or "pty" */
    const char *log_path;
    uint64_t seed;
    double watchdog_s;             /* 0 = off */
    double dut_wait_s;             /* wait for the controller's first request; 0 = don't */
    double gap_chars;              /* the receiver's gap reset (--gap-reset), character times */
    struct scenario_overrides ov;
    struct rt_host_options rt;     /* --rt */
};

/* --scenario: the scenario's verdict as the exit code (cmd_bms_scenario.c). */
int cmd_bms_run_scenario(const struct bms_scenario_args *a);

#endif
