/* run_internal.h: PRIVATE to rig/cli/'s `bmsrig run` files (cmd_run.c, run_options.c,
 * run_select.c, run_schedule.c, run_progress.c, run_help.c): the run's options and state, and
 * the functions that cross those files. Nothing outside rig/cli/ includes it. */
#ifndef BMSRIG_RIG_CLI_RUN_INTERNAL_H
#define BMSRIG_RIG_CLI_RUN_INTERNAL_H

#include "rig/realtime/rt_host.h"
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "rig/dut/dut_firmware.h"
#include "rig/scenario/report.h"
#include "rig/scenario/scenario.h"

/* The watchdog (--watchdog S): constants, timed waits, watched loading and texts in
 * rig/scenario/watchdog.h. Stuck threads cannot be cancelled and each keeps a core busy: past this many
 * the run starts no replacement worker and reports the scenarios it did not start as not
 * run. [I] */
#define WATCHDOG_STUCK_MAX 4

/* --progress without a value, and the default when stderr is a terminal: a line per running
 * scenario this often [s]; a real-time scenario of minutes then shows where it is. */
#define RUN_PROGRESS_DEFAULT_S 10.0
/* Most worker threads -j takes. */
#define JOBS_MAX 64

/* Set by the SIGINT/SIGTERM handler (cmd_run.c); read by the workers and the supervisor. */
extern volatile sig_atomic_t run_interrupted;

struct path_list {
    char **v;
    size_t n, cap;
};

/* ---- options ------------------------------------------------------------------------------ */

struct run_opts {
    const char *target;
    const char *rig_file;
    double lock_wait_s;     /* --lock-wait: how long to wait for a bench another run holds */
    const char *junit;
    bool tap;
    int tap_version;        /* 13 (default: what Test::Harness 3.44 accepts) or 14 */
    const char *json;
    const char *trace_dir;
    const char *html_dir;   /* --html: the report's folder (traces in html_dir/traces by default) */
    double trace_every_ms;
    uint64_t seed;
    const char *filter;
    const char *tags;       /* comma list (borrowed from argv) */
    bool list;
    bool realtime;
    int jobs;
    bool suppress_faults;
    double tick_ms;
    double timeout_s;
    double watchdog_s;      /* 0 = off */
    bool quiet;
    unsigned shard_k, shard_n;       /* --shard K/N (1-based); 0/0 = no sharding */
    double progress_s;      /* --progress: start lines, and every progress_s a line per running
                               scenario (scenario time, last command); 0 = off */
    struct dut_firmware_config fw;   /* target firmware: fw.image_path set */
    struct rt_host_options rt;       /* --rt (real-time runs only) */
};

/* ---- the run ------------------------------------------------------------------------------ */

struct run_state;

/* One worker thread and what the supervisor knows of it. */
struct worker {
    struct run_state *st;
    pthread_t th;
    pid_t tid;              /* its kernel thread id (for setpriority) */
    struct scenario_progress prog;  /* written by the worker's scenario_run */
    size_t idx;             /* the scenario it runs, while busy */
    bool busy;
    bool abandoned;         /* written off by the watchdog: its result is not wanted */
    bool exited;            /* its thread function returned */
    double started_s;       /* wall clock when idx started */
    uint64_t seen_beats;    /* the supervisor's last sample of prog.beats ... */
    double seen_s;          /* ... and when that sample last changed */
    double noted_s;         /* when its last --progress line was printed */
};

struct run_state {
    const struct run_opts *o;
    struct scenario_run_options ropt;
    struct scenario **sc;       /* NULL for a file whose loading was written off */
    struct scenario_result *res;
    struct report_item *items;
    size_t n;
    size_t next;         /* next index to start (under lock) */
    size_t done;
    pthread_mutex_t lock;
    pthread_cond_t cond;        /* a worker finished a scenario or exited */
    FILE *progress;
    struct report_run report;
    double wall0;
    bool bench;                 /* a bench or a real controller is open */
    /* workers (under lock); the array never moves: threads hold pointers into it */
    struct worker *workers;
    size_t nworkers, capworkers;
    size_t live;                /* workers neither exited nor abandoned */
    size_t stuck;               /* workers written off */
    size_t stuck_running;       /* ... whose thread has not come back */
    bool stuck_in_device;       /* one of them is inside an engine tick on a bench */
    /* A scenario ended in a rig fault on a bench (FTDI unplugged, a serial line gone): the
     * bench cannot be trusted, so no further scenario starts; they are reported not run and
     * the run incomplete, with this reason (under lock). */
    bool bench_lost;
    char bench_lost_reason[320];
};

/* run_select.c: file discovery, the --filter/--tags match and the selection. */
int path_list_add(struct path_list *l, const char *p);
void path_list_free(struct path_list *l);
int run_walk(const char *dir, struct path_list *out);
bool tags_match(const struct scenario *s, const char *tags);
const char *base_name(const char *path);
bool filter_match_names(const char *name, const char *path, const char *glob);
bool filter_match(const struct scenario *s, const char *glob);
const char *sel_path(struct scenario *const *sc, char *const *stuck, size_t i);
void selection_free(struct scenario **sc, char **stuck, size_t n);
/* --shard K/N: parses "K/N" (decimal, 1 <= K <= N <= SHARD_MAX); false if it is not that. */
#define SHARD_MAX 10000u
bool shard_parse(const char *s, unsigned *k, unsigned *n);
/* Keeps shard k of nshards of the n selected files (sc[i], or stuck[i] for a file written off
 * while loading), in their run order, frees the others, and returns how many it kept. The
 * partition: the selection sorted by scenario name (a file written off while loading by its
 * file name), ties by path; the i-th (from 0) belongs to shard (i mod nshards) + 1. It depends
 * only on the names and paths selected, so every bench of a fleet computes the same split. */
size_t shard_select(struct scenario **sc, char **stuck, size_t n, unsigned k, unsigned nshards);

/* run_progress.c: reports, progress lines and the summary. */
bool write_reports(struct run_state *st);
void finish_scenario(struct run_state *st, size_t i);
void print_summary(struct run_state *st);

/* run_schedule.c: the worker threads and their supervisor (the watchdog). */
bool start_worker(struct run_state *st);
void supervise(struct run_state *st);

/* run_progress.c: --progress lines on stderr (under st->lock): a scenario started, or one that
 * is still running (its scenario time and last command). */
void print_started(struct run_state *st, size_t i);
void print_running(struct run_state *st, const struct worker *w, double now);

/* cmd_run.c: the command's entry point (run_help.c's struct cli_command names it). */
int run_main(int argc, char **argv);

/* run_options.c: parses argv (getopt state reset) into *out with the defaults, checks the
 * options against each other and probes a --firmware image. CLI_EXIT_PASS, or the exit code
 * after the usage message is printed. */
int run_parse_options(int argc, char **argv, struct run_opts *out);

#endif
