/* cmd_sim.c: `bmsrig sim`: offline pack simulation (constant load, a load profile, or a CC-CV
 * charge) with scheduled faults, writing the signals CSV (rig/offline/simtrace.h). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rig/offline/cellfile.h"
#include "rig/cli/cli.h"
#include "rig/offline/profile.h"
#include "rig/offline/simfault.h"
#include "rig/offline/simtrace.h"
#include "sim/pack.h"
#include "sim/status.h"

#define MAX_FAULTS 64

static double now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double min_group_v(const struct pack *p)
{
    double m = INFINITY;
    for (unsigned g = 0; g < pack_series(p); g++) {
        double v = pack_group_v(p, g);
        if (v < m)
            m = v;
    }
    return m;
}

static double max_group_v(const struct pack *p)
{
    double m = -INFINITY;
    for (unsigned g = 0; g < pack_series(p); g++) {
        double v = pack_group_v(p, g);
        if (v > m)
            m = v;
    }
    return m;
}

static int run(int argc, char **argv)
{
    const char *cell = "lg_m26", *preset = "10s3p", *profile_path = NULL, *out_path = NULL;
    double soc = 1.0, temp = 25.0, load = NAN, charge = NAN, cv = NAN, duration = NAN;
    double dt = 0.1, every = NAN, seed = 1;
    bool until_cutoff = false, quiet = false, isothermal = false;
    double interconnect = NAN;
    const char *fault_specs[MAX_FAULTS];
    int nfault = 0;
    const char *ntc_specs[PACK_MAX_NTC];
    unsigned nntc = 0;

    enum { O_CELL = 256, O_PACK, O_SOC, O_TEMP, O_LOAD, O_PROFILE, O_CHARGE, O_CV, O_DURATION,
           O_UNTIL, O_DT, O_FAULT, O_OUT, O_EVERY, O_SEED, O_QUIET, O_ISO, O_IC, O_NTC };
    static const struct option opts[] = {
        { "cell", required_argument, NULL, O_CELL },
        { "pack", required_argument, NULL, O_PACK },
        { "soc", required_argument, NULL, O_SOC },
        { "temp", required_argument, NULL, O_TEMP },
        { "load", required_argument, NULL, O_LOAD },
        { "profile", required_argument, NULL, O_PROFILE },
        { "charge", required_argument, NULL, O_CHARGE },
        { "cv", required_argument, NULL, O_CV },
        { "duration", required_argument, NULL, O_DURATION },
        { "until-cutoff", no_argument, NULL, O_UNTIL },
        { "dt", required_argument, NULL, O_DT },
        { "fault", required_argument, NULL, O_FAULT },
        { "out", required_argument, NULL, O_OUT },
        { "every", required_argument, NULL, O_EVERY },
        { "seed", required_argument, NULL, O_SEED },
        { "quiet", no_argument, NULL, O_QUIET },
        { "isothermal", no_argument, NULL, O_ISO },
        { "ntc", required_argument, NULL, O_NTC },
        { "interconnect-ohm", required_argument, NULL, O_IC },
        { NULL, 0, NULL, 0 },
    };
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case O_CELL: cell = optarg; break;
        case O_PACK: preset = optarg; break;
        case O_SOC: bad = cli_parse_number(&cmd_sim, "--soc", optarg, 0.0, 1.0, &soc); break;
        case O_TEMP: bad = cli_parse_number(&cmd_sim, "--temp", optarg, -40.0, 80.0, &temp); break;
        case O_LOAD: bad = cli_parse_number(&cmd_sim, "--load", optarg, -500.0, 500.0, &load); break;
        case O_PROFILE: profile_path = optarg; break;
        case O_CHARGE: bad = cli_parse_number(&cmd_sim, "--charge", optarg, 1e-3, 100.0, &charge); break;
        case O_CV: bad = cli_parse_number(&cmd_sim, "--cv", optarg, 1.0, 100.0, &cv); break;
        case O_DURATION: bad = cli_parse_number(&cmd_sim, "--duration", optarg, 1e-6, 1e8, &duration); break;
        case O_UNTIL: until_cutoff = true; break;
        case O_DT: bad = cli_parse_number(&cmd_sim, "--dt", optarg, 1e-5, 60.0, &dt); break;
        case O_FAULT:
            if (nfault == MAX_FAULTS)
                return cli_usage_error(&cmd_sim, "--fault: at most %d faults", MAX_FAULTS);
            fault_specs[nfault++] = optarg;
            break;
        case O_OUT: out_path = optarg; break;
        case O_EVERY: bad = cli_parse_number(&cmd_sim, "--every", optarg, 1e-5, 1e6, &every); break;
        case O_SEED: bad = cli_parse_whole(&cmd_sim, "--seed", optarg, 0, 9007199254740992.0, &seed); break;
        case O_QUIET: quiet = true; break;
        case O_ISO: isothermal = true; break;
        case O_NTC:
            if (nntc == PACK_MAX_NTC)
                return cli_usage_error(&cmd_sim, "--ntc: at most %d sensors", PACK_MAX_NTC);
            ntc_specs[nntc++] = optarg;
            break;
        case O_IC: bad = cli_parse_number(&cmd_sim, "--interconnect-ohm", optarg, 0.0, 0.5, &interconnect); break;
        default:
            return cli_usage_error(&cmd_sim, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
        if (bad)
            return CLI_EXIT_USAGE;
    }
    if (optind < argc)
        return cli_usage_error(&cmd_sim, "unexpected argument '%s'", argv[optind]);
    if (!out_path)
        return cli_usage_error(&cmd_sim, "--out FILE.csv is required ('-' for stdout)");
    int modes = !isnan(load) + (profile_path != NULL) + !isnan(charge);
    if (modes != 1)
        return cli_usage_error(&cmd_sim, "give exactly one of --load, --profile, --charge");
    if (!isnan(charge) && isnan(cv))
        return cli_usage_error(&cmd_sim, "--charge needs --cv VOLTS (pack voltage)");
    if (isnan(charge) && !isnan(cv))
        return cli_usage_error(&cmd_sim, "--cv only goes with --charge");
    if (isnan(duration) && !until_cutoff && !profile_path)
        return cli_usage_error(&cmd_sim, "give --duration S or --until-cutoff");
    if (isnan(every))
        every = dt > 1.0 ? dt : 1.0;

    struct cell_params cp;
    char err[512];
    if (cellfile_load(cell, &cp, err, sizeof(err)) != BMSRIG_OK) {
        fprintf(stderr, "bmsrig sim: --cell: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    struct pack_config cfg;
    if (pack_config_preset(&cfg, preset, &cp) != BMSRIG_OK)
        return cli_usage_error(&cmd_sim, "--pack: '%s' is not <S>s<P>p with S 1..%d, P 1..%d "
                               "(presets 10s3p, 10s4p, 12s3p, 12s4p)", preset, PACK_MAX_SERIES,
                               PACK_MAX_PARALLEL);
    cfg.soc0 = soc;
    cfg.temp0_c = temp;
    cfg.seed = (uint64_t)seed;
    cfg.isothermal = isothermal;
    if (!isnan(interconnect))
        cfg.interconnect_ohm = interconnect;
    if (nntc) {
        /* --ntc CELL[,CELL...]: one sensor per option, touching those cells. */
        cfg.n_ntc = nntc;
        for (unsigned i = 0; i < nntc; i++) {
            struct pack_ntc_place *pl = &cfg.ntc[i];
            pl->ncells = 0;
            const char *q = ntc_specs[i];
            for (;;) {
                char *end;
                errno = 0;
                unsigned long v = strtoul(q, &end, 10);
                if (end == q || errno || v >= (unsigned long)cfg.series * cfg.parallel ||
                    pl->ncells == PACK_NTC_MAX_CELLS || (*end != ',' && *end != '\0'))
                    return cli_usage_error(&cmd_sim, "--ntc '%s': want up to %d cell indices "
                                           "0..%u separated by commas", ntc_specs[i],
                                           PACK_NTC_MAX_CELLS, cfg.series * cfg.parallel - 1);
                pl->cell[pl->ncells++] = (unsigned)v;
                if (*end == '\0')
                    break;
                q = end + 1;
            }
        }
    }
    struct simfault faults[MAX_FAULTS];
    for (int i = 0; i < nfault; i++)
        if (simfault_parse(fault_specs[i], cfg.series, cfg.parallel, cfg.n_ntc, &faults[i], err,
                           sizeof(err)) != BMSRIG_OK)
            return cli_usage_error(&cmd_sim, "--fault %s", err);
    /* Values the pack model refuses (a negative short, a zero weak factor ...) are refused
     * here, before the output is opened: a dry run of every fault on a scratch pack of the
     * same shape, so the pack model's own rules decide and no row is written for a bad spec. */
    struct pack *probe = nfault > 0 ? pack_new(&cfg) : NULL;
    for (int i = 0; probe && i < nfault; i++) {
        if (simfault_apply(probe, &faults[i]) != BMSRIG_OK) {
            pack_free(probe);
            return cli_usage_error(&cmd_sim, "--fault %s: value out of range for the pack model",
                                   fault_specs[i]);
        }
    }
    pack_free(probe);

    struct profile prof = { 0 };
    if (profile_path && profile_load(profile_path, &prof, err, sizeof(err)) != BMSRIG_OK) {
        fprintf(stderr, "bmsrig sim: --profile: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (profile_path && isnan(duration) && !until_cutoff)
        duration = profile_duration_s(&prof);
    bool loop = profile_path && !isnan(duration) && duration > profile_duration_s(&prof);

    FILE *out = strcmp(out_path, "-") == 0 ? stdout : fopen(out_path, "w");
    if (!out) {
        fprintf(stderr, "bmsrig sim: --out: %s: %s\n", out_path, strerror(errno));
        profile_free(&prof);
        return CLI_EXIT_USAGE;
    }
    struct pack *p = pack_new(&cfg);
    if (!p) {
        pack_config_check(&cfg, err, sizeof(err));
        fprintf(stderr, "bmsrig sim: pack: %s\n", err);
        if (out != stdout)
            fclose(out);
        profile_free(&prof);
        return CLI_EXIT_USAGE;
    }

    simtrace_header(out, p);
    simtrace_row(out, p);
    bool applied[MAX_FAULTS] = { false };
    size_t cursor = 0;
    double wall0 = now_wall(), wall_last = wall0, next_sample = every;
    bool progress_shown = false, cv_phase = false, tty = isatty(STDERR_FILENO);
    double t_limit = isnan(duration) ? 1e9 : duration;
    const char *why = "duration reached";
    double i_end_cv = 0.05 * cp.rated_ah * cfg.parallel;   /* C/20 taper end [I] */
    long long steps = 0;
    double last_row_t = 0.0;
    const char *bad_fault = NULL;   /* a spec the pack model refused when it came due */
    while (pack_time_s(p) < t_limit - 1e-9) {
        double t = pack_time_s(p);
        for (int i = 0; i < nfault; i++)
            if (!applied[i] && faults[i].at_s <= t + 1e-12) {
                if (simfault_apply(p, &faults[i]) != BMSRIG_OK && !bad_fault)
                    bad_fault = fault_specs[i];
                applied[i] = true;
            }
        if (bad_fault) {
            why = "a fault was refused";
            break;
        }
        double step = dt < t_limit - t ? dt : t_limit - t;
        double i_load;
        if (profile_path) {
            if (!loop && t >= profile_duration_s(&prof) && !until_cutoff) {
                why = "profile end";
                break;
            }
            i_load = profile_current(&prof, t, true, &cursor);
        } else if (!isnan(load)) {
            i_load = load;
        } else {
            i_load = -charge;
            if (cv_phase || pack_terminal_v(p) >= cv) {
                cv_phase = true;
                double icv = pack_current_for_voltage(p, step, cv);
                i_load = icv < -charge ? -charge : (icv > 0.0 ? 0.0 : icv);
            }
        }
        pack_step(p, step, i_load);
        steps++;
        if (pack_time_s(p) >= next_sample - 1e-9) {
            simtrace_row(out, p);
            last_row_t = pack_time_s(p);
            while (next_sample <= pack_time_s(p) + 1e-9)
                next_sample += every;
        }
        if (until_cutoff) {
            if (isnan(charge) && (min_group_v(p) <= cp.v_cutoff || pack_string_open(p)) &&
                pack_current_a(p) >= 0.0) {
                why = pack_string_open(p) ? "string open" : "discharge cut-off";
                break;
            }
            if (!isnan(charge) && cv_phase && -pack_current_a(p) < i_end_cv) {
                why = "charge taper end (C/20)";
                break;
            }
            if (!isnan(charge) && max_group_v(p) >= cp.v_charge + 0.05) {
                why = "cell over-voltage";
                break;
            }
        }
        if ((steps & 1023) == 0 && !quiet) {
            double w = now_wall();
            if (w - wall_last >= (tty ? 0.25 : 1.0) && w - wall0 >= 1.0) {
                char when[64];
                if (isnan(duration))
                    snprintf(when, sizeof(when), "t %.0f s", pack_time_s(p));
                else
                    snprintf(when, sizeof(when), "t %.0f of %.0f s (%.0f %%)", pack_time_s(p),
                             duration, 100.0 * pack_time_s(p) / duration);
                fprintf(stderr, "%ssim: %s, pack %.2f V, %.2f A, min group %.3f V%s",
                        tty ? "\r" : "", when, pack_terminal_v(p), pack_current_a(p),
                        min_group_v(p), tty ? "   " : "\n");
                wall_last = w;
                progress_shown = true;
            }
        }
    }
    if (pack_time_s(p) > last_row_t + 1e-12)
        simtrace_row(out, p);
    if (progress_shown && tty)
        fputc('\n', stderr);
    double wall = now_wall() - wall0;
    if (!quiet)
        fprintf(stderr, "sim: stopped at t %.3f s (%s): V %.3f, %lld steps in %.2f s wall\n",
                pack_time_s(p), why, pack_terminal_v(p), steps, wall);
    int rc = CLI_EXIT_PASS;
    if (bad_fault) {
        fprintf(stderr, "bmsrig sim: --fault %s: value out of range for the pack model\n",
                bad_fault);
        rc = CLI_EXIT_USAGE;
    }
    if (out != stdout) {
        if (fclose(out) != 0) {
            fprintf(stderr, "bmsrig sim: --out: %s: %s\n", out_path, strerror(errno));
            rc = CLI_EXIT_RIG;
        }
    } else if (fflush(out) != 0) {
        rc = CLI_EXIT_RIG;
    }
    pack_free(p);
    profile_free(&prof);
    return rc;
}

const struct cli_command cmd_sim = {
    .name = "sim",
    .summary = "offline pack simulation writing a signals CSV",
    .usage =
        "usage: bmsrig sim [--cell NAME|FILE] [--pack SxPp] [--soc F] [--temp C]\n"
        "                  (--load AMPS | --profile FILE.csv | --charge AMPS --cv VOLTS)\n"
        "                  (--duration S | --until-cutoff) [--dt S] [--every S]\n"
        "                  [--fault SPEC]... [--seed N] [--ntc CELLS]... [--isothermal]\n"
        "                  [--interconnect-ohm R]\n"
        "                  [--quiet] --out FILE.csv\n"
        "\n"
        "Simulates the pack model (sim/pack.h) and writes the signals CSV: time, pack voltage\n"
        "and current, per-group true and sensed voltages, per-cell SOC and temperature, NTC\n"
        "readings (deg C as an S-H-decoding BMS reads them, and the 12-bit ADC code).\n"
        "Current sign: + = discharge.\n"
        "\n"
        "  --cell NAME|FILE   cell parameter set (fixtures/cells/NAME.cell; default lg_m26)\n"
        "  --pack SxPp        10s3p (M365, default), 10s4p, 12s3p, 12s4p, or any S<=16, P<=8\n"
        "  --soc F            initial SOC of every cell, 0..1 (default 1.0)\n"
        "  --temp C           initial cell temperature and ambient (default 25)\n"
        "  --load AMPS        constant pack current\n"
        "  --profile FILE     t_s,current_a CSV (zero-order hold); runs once, or repeats when\n"
        "                     --duration is longer or --until-cutoff is given\n"
        "  --charge AMPS      CC charge at AMPS, then CV at --cv VOLTS (pack voltage)\n"
        "  --duration S       simulated time to run\n"
        "  --until-cutoff     stop at the first group at the cell's discharge cut-off (or the\n"
        "                     string opening); when charging, at the C/20 taper\n"
        "  --dt S             model step (default 0.1; exact discretisation: 1e-5..60)\n"
        "  --every S          CSV row interval (default max(dt, 1 s))\n"
        "  --fault SPEC       schedule a fault (repeatable), see below\n"
        "  --seed N           seed for random faults (default 1): same inputs, same bytes\n"
        "  --ntc CELLS        one NTC touching these cells (e.g. 3,4; repeatable, up to 4;\n"
        "                     replaces the default two sensors on groups 1 and S-2)\n"
        "  --isothermal       hold every cell at --temp (table comparisons)\n"
        "  --interconnect-ohm R  series strip resistance per group (default 0.002)\n"
        "  --quiet            no progress or summary on stderr\n"
        "  --out FILE.csv     where the CSV goes ('-' = stdout)\n"
        "\n"
        "A progress line goes to stderr when a run takes more than a second.\n"
        "\n"
        SIMFAULT_HELP,
    .run = run,
};
