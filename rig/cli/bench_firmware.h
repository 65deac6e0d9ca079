/* bench_firmware.h: `bmsrig bench firmware [IMAGE]`, the emulated controller's speed. */
#ifndef BMSRIG_RIG_BENCH_FIRMWARE_H
#define BMSRIG_RIG_BENCH_FIRMWARE_H

/* Runs the benchmark with argv[0] = "firmware"; prints one JSON object on stdout; returns 0,
 * 1 if the image faulted during the run, 2 for bad options or an image that does not load. */
int bench_firmware_run(int argc, char **argv);

#endif
