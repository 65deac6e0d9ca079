/* docgen.c: bmsrig-docgen, the build-time tool that writes bmsrig's man pages and bash
 * completion from the command table (rig/cli/cli.h) and the same usage texts `--help` prints.
 * usage: bmsrig-docgen OUTDIR VERSION DATE
 *   writes OUTDIR/man1/bmsrig.1, OUTDIR/man1/bmsrig-CMD.1 per command and
 *   OUTDIR/bash-completion/bmsrig; exit 0, 1 if a file cannot be written, 2 bad usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rig/cli/cli.h"
#include "rig/manual/completion.h"
#include "rig/manual/helptext.h"
#include "rig/manual/manpage.h"

#define MAX_COMMANDS 32

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "bmsrig-docgen: %s: %s\n", path, strerror(errno));
    return -1;
}

static int write_page(const char *path, const struct manpage_info *info,
                      const struct helptext *help)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bmsrig-docgen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = manpage_write(f, info, help);
    if (fclose(f) != 0 || rc != 0) {
        fprintf(stderr, "bmsrig-docgen: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

/* The top-level help as a string. Owned: free(). */
static char *main_help_text(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    cli_print_main_help(m);
    fclose(m);
    return buf;
}

/* What `bmsrig CMD --help` prints: the usage text, any table-made lines after it (the fault
 * list) and the common options, so the pages and the completion match --help exactly. */
static char *command_help_text(const struct cli_command *cmd)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    cli_print_usage(cmd, m);
    fclose(m);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bmsrig-docgen OUTDIR VERSION DATE\n");
        return 2;
    }
    const char *outdir = argv[1];
    char version[128];
    snprintf(version, sizeof version, "bmsrig %s", argv[2]);
    const char *date = argv[3];
    size_t n = 0;
    const struct cli_command *const *cmds = cli_commands(&n);
    if (n > MAX_COMMANDS) {
        fprintf(stderr, "bmsrig-docgen: %zu commands, raise MAX_COMMANDS\n", n);
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/man1", outdir);
    if (make_dir(outdir) != 0 || make_dir(path) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/bash-completion", outdir);
    if (make_dir(path) != 0)
        return 1;

    int rc = 0;
    struct helptext helps[MAX_COMMANDS] = { 0 };
    char names[MAX_COMMANDS][64];
    const char *see_main[] = { "bmsrig" };
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *text = command_help_text(cmds[i]);
        int parsed = text ? helptext_parse(text, &helps[i]) : -1;
        free(text);
        if (parsed != 0) {
            rc = 1;
            break;
        }
        snprintf(names[i], sizeof names[i], "bmsrig-%s", cmds[i]->name);
        struct manpage_info info = { .name = names[i], .summary = cmds[i]->summary,
                                     .version = version, .date = date,
                                     .see_also = see_main, .nsee_also = 1 };
        snprintf(path, sizeof path, "%s/man1/%s.1", outdir, names[i]);
        if (write_page(path, &info, &helps[i]) != 0)
            rc = 1;
    }

    struct helptext main_help = { 0 };
    char *main_text = rc == 0 ? main_help_text() : NULL;
    if (rc == 0 && (!main_text || helptext_parse(main_text, &main_help) != 0))
        rc = 1;
    if (rc == 0) {
        const char *see[MAX_COMMANDS];
        for (size_t i = 0; i < n; i++)
            see[i] = names[i];
        struct manpage_info info = {
            .name = "bmsrig",
            .summary = "hardware-in-the-loop BMS simulator and test rig for M365-family "
                       "scooter controllers",
            .version = version, .date = date, .see_also = see, .nsee_also = n };
        snprintf(path, sizeof path, "%s/man1/bmsrig.1", outdir);
        if (write_page(path, &info, &main_help) != 0)
            rc = 1;
    }
    if (rc == 0) {
        struct completion_command cc[MAX_COMMANDS];
        for (size_t i = 0; i < n; i++)
            cc[i] = (struct completion_command){ .name = cmds[i]->name, .help = &helps[i] };
        snprintf(path, sizeof path, "%s/bash-completion/bmsrig", outdir);
        FILE *f = fopen(path, "w");
        if (!f || completion_write_bash(f, cc, n, &main_help) != 0) {
            fprintf(stderr, "bmsrig-docgen: %s: %s\n", path, f ? "write failed" : strerror(errno));
            rc = 1;
        }
        if (f && fclose(f) != 0)
            rc = 1;
    }
    free(main_text);
    helptext_free(&main_help);
    for (size_t i = 0; i < n; i++)
        helptext_free(&helps[i]);
    return rc;
}
