/* cmd_esc_params.c: `bmsrig esc`'s parameters: a --profile file read onto the defaults, and the
 * --show-params table (value, unit, grade, source per parameter). */
#include "rig/cli/cmd_esc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_PREFIX "esc"
#include "rig/line/capture.h"
#include "rig/cli/cli.h"
#include "rig/cli/cli_rt.h"
#include "rig/cli/esc_firmware.h"
#include "rig/realtime/clock.h"
#include "rig/util/log.h"
#include "rig/line/transport.h"
#include "sim/esc.h"
#include "sim/frame.h"
#include "sim/status.h"

#define PROFILE_MAX_BYTES (256 * 1024)

/* ---- parameters --------------------------------------------------------------------------- */

/* Reads `path` whole and applies it to `p`; errors go to stderr as path:line: reason. */
int cmd_esc_load_profile(const char *path, struct esc_params *p)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bmsrig esc: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    char *buf = malloc(PROFILE_MAX_BYTES);
    if (!buf) {
        fclose(f);
        return CLI_EXIT_RIG;
    }
    size_t n = fread(buf, 1, PROFILE_MAX_BYTES, f);
    bool too_big = n == PROFILE_MAX_BYTES;
    int rerr = ferror(f) ? errno : 0;
    fclose(f);
    if (rerr) {
        fprintf(stderr, "bmsrig esc: %s: %s\n", path, strerror(rerr));
        free(buf);
        return CLI_EXIT_USAGE;
    }
    if (too_big) {
        fprintf(stderr, "bmsrig esc: %s: larger than %d bytes\n", path, PROFILE_MAX_BYTES);
        free(buf);
        return CLI_EXIT_USAGE;
    }
    unsigned line = 0;
    char err[200];
    int rc = esc_params_apply_text(p, buf, n, &line, err, sizeof(err));
    free(buf);
    if (rc != BMSRIG_OK) {
        fprintf(stderr, "%s:%u: %s\n", path, line, err);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_PASS;
}

static void format_value(char *buf, size_t cap, const char *unit, double v)
{
    if (strcmp(unit, "hex") == 0)
        snprintf(buf, cap, "0x%04X", (unsigned)v);
    else
        snprintf(buf, cap, "%.6g", v);
}

void cmd_esc_show_params(FILE *out, const struct esc_params *p)
{
    fprintf(out, "# bmsrig esc parameters, model %s, %s figures\n", esc_model_name(p->model),
            esc_figures_name(p->figures));
    fprintf(out, "# grade: S sourced, D derived (recordings, stock firmware), O observed (stock "
                 "firmware under CPU emulation), I inferred; * = changed by the profile\n");
    fprintf(out, "# where the recording and the emulator differ, NAME is the value in use and "
                 "NAME:recorded or NAME:emulated the other one ('figures = recorded|emulated' in "
                 "a profile, or --figures, chooses)\n");
    fprintf(out, "%-18s %12s  %-8s %-5s %s\n", "name", "value", "unit", "grade", "source");
    for (int i = 0; i < ESC_P_COUNT; i++) {
        const struct esc_param_info *pi = esc_param_info(i);
        double emu;
        const char *emu_src;
        bool has_emu = esc_param_emulated(i, &emu, &emu_src);
        bool use_emu = has_emu && p->figures == ESC_FIGURES_EMULATED;
        char grade[3] = { use_emu ? 'O' : pi->grade[p->model], p->overridden[i] ? '*' : ' ',
                          '\0' };
        char val[32];
        format_value(val, sizeof(val), pi->unit, p->v[i]);
        fprintf(out, "%-18s %12s  %-8s %-5s %s\n", pi->name, val, pi->unit, grade,
                use_emu ? emu_src : pi->source);
        if (has_emu) {
            /* the other figure set's value, with its grade and source */
            char other[32], name[64];
            format_value(other, sizeof(other), pi->unit, use_emu ? pi->value[p->model] : emu);
            snprintf(name, sizeof(name), "%s:%s", pi->name, use_emu ? "recorded" : "emulated");
            fprintf(out, "%-18s %12s  %-8s %-5c %s\n", name, other, pi->unit,
                    use_emu ? pi->grade[p->model] : 'O', use_emu ? pi->source : emu_src);
        }
    }
    fprintf(out, "%-18s %12s  %-8s %-5s %s\n", "bms_default_serial", "3GA0016A1A0001", "text",
            "D", "BMS serial that raises error 23 (string in DRV130-143)");
}
