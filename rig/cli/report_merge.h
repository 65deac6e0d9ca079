/* report_merge.h: `bmsrig report merge OUT IN...` (rig/cli/report_merge.c), a subcommand of
 * `bmsrig report` (cmd_report.c's table). */
#ifndef BMSRIG_RIG_CLI_REPORT_MERGE_H
#define BMSRIG_RIG_CLI_REPORT_MERGE_H

/* argv[0] is "merge". Returns the CLI exit code. */
int report_merge(int argc, char **argv);

#endif
