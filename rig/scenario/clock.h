/* clock.h (rig/scenario/): moved to rig/realtime/clock.h, shared with the line and the benches;
 * this forwarder stays until rig/cli/cmd_run.c (under the issue-15 split) includes the new path. */
#include "rig/realtime/clock.h"
