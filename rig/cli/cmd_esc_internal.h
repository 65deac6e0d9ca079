/* cmd_esc_internal.h: what `bmsrig esc`'s files share (cmd_esc.c: options and the command;
 * cmd_esc_params.c: --profile files and --show-params; cmd_esc_realtime.c: the real-time run);
 * private to rig/cli/cmd_esc*.c, nothing else includes it. */
#ifndef BMSRIG_RIG_CLI_CMD_ESC_INTERNAL_H
#define BMSRIG_RIG_CLI_CMD_ESC_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rig/line/transport.h"
#include "rig/realtime/clock.h"
#include "sim/esc.h"
#include "sim/frame.h"

/* The last signal caught (cmd_esc.c), 0 while none. */
extern volatile sig_atomic_t cmd_esc_stop_signal;
void cmd_esc_on_signal(int sig);

/* Parameters (cmd_esc_params.c). */
int cmd_esc_load_profile(const char *path, struct esc_params *p);
void cmd_esc_show_params(FILE *out, const struct esc_params *p);

/* The real-time run (cmd_esc_realtime.c). */
struct rt {
    struct transport tr[2];     /* per enum esc_line (rig/line/transport.h, raw 115200 8N1) */
    bool open[2];
    FILE *log;
    struct frame_decoder logdec[2];
    double log_t_s;
    enum esc_line log_line;
    uint64_t write_short;       /* bytes the OS did not take */
    int io_errno;
};

struct run_summary {
    int64_t duration_us;
    int final_error;
    int worst_error_after_boot;     /* lowest nonzero code shown once the handshake was done */
    struct clock pacer;             /* the main-loop clock: overruns, worst/total lateness */
    uint64_t stall_reads;           /* reads found waiting after a stall, stamped early */
    int64_t stall_backdate_max_us;  /* the most such a stamp lay before the wake */
};

void cmd_esc_on_log_frame(void *user, const struct frame_event *ev);
void cmd_esc_on_tx(void *user, enum esc_line line, int64_t t_us, const uint8_t *bytes, size_t n);
int cmd_esc_run_realtime(struct esc *e, struct rt *rt, double duration_s, int64_t spin_us,
                         struct run_summary *sum);

#endif
