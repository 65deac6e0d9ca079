/* rig_hw.h: the hardware path as the scenario engine sees it: open a bench from a rig
 * description (hw/boards/NAME.lua), set named model signals and fault relays once per tick,
 * flush them in ONE USB write, go to the safe state, close.
 *
 * Typical tick loop (engine, issue 6):
 *
 *     struct rig_hw *hw;
 *     char err[256];
 *     if (rig_hw_open_file(&hw, "hw/boards/emulated.lua", err, sizeof err) != BMSRIG_OK) {
 *         fprintf(stderr, "%s\n", err);          // "file:line: ..." for description errors
 *         return rc == BMSRIG_ERR_PARSE ? CLI_EXIT_USAGE : CLI_EXIT_RIG;
 *     }
 *     int cell3 = rig_hw_signal_find(hw, "cell[3].v");   // resolve names once, -1 if unmapped
 *     for (each tick) {
 *         rig_hw_set(hw, cell3, pack_sense_voltage(p, 2));
 *         rig_hw_set_by_name(hw, "ntc[1].v", v);           // same, slower (name lookup)
 *         rig_hw_fault(hw, "bms_tx", "open");              // relay per the description
 *         if (rig_hw_flush(hw) != BMSRIG_OK) { ... exit 3 }  // one ftdi_write_data
 *         if (rig_hw_interrupted()) { ... exit 4 }
 *     }
 *     rig_hw_close(hw);                                   // safe state first, always
 *
 * Safety contract (DESIGN.md section 7):
 * - every value is clamped to the channel's [min, max] from the description before it is
 *   converted to a DAC code; clamps are counted in the stats;
 * - rig_hw_close() always tries the safe state (relays released, DACs at their safe values),
 *   also after a USB error, and says in the log whether it got there;
 * - rig_hw_open*() takes an exclusive lock per FTDI serial (flock), so a second run on the same
 *   bench fails with BMSRIG_ERR_STATE and a message naming the lock file;
 * - rig_hw_signals_install() turns SIGINT/SIGTERM into a flag the tick loop polls
 *   (rig_hw_interrupted()); no USB I/O happens inside a signal handler.
 *
 * Not thread-safe: one rig_hw per thread. */
#ifndef BMSRIG_RIG_RIG_HW_H
#define BMSRIG_RIG_RIG_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rig/fault/fault.h"

struct rig_hw;
struct board;

/* Counters since open. */
struct rig_hw_stats {
    uint64_t flushes;      /* rig_hw_flush calls that sent something */
    uint64_t usb_writes;   /* ftdi_write_data calls (should equal flushes) */
    uint64_t usb_bytes;    /* bytes handed to ftdi_write_data */
    size_t last_bytes;     /* bytes of the most recent flush */
    size_t max_bytes;      /* largest flush so far */
    uint64_t clamped;      /* values clamped to a channel's [min, max] */
};

/* ---- lifecycle ---- */

/* Loads and validates the description at `path` (real Lua 5.4, sandboxed; a board name such as
 * "emulated" is looked up by rig/bench/board_locate.h), then opens the FTDI
 * device it names, takes the bench lock, initialises MPSSE and puts the bench in its safe state.
 * On failure returns BMSRIG_ERR_PARSE (description error; `err` holds "path:line: message",
 * or "path: cannot open rig description: reason" for a file that cannot be read),
 * BMSRIG_ERR_STATE (bench locked by another run), BMSRIG_ERR_IO (device missing or USB error),
 * and fills `err` (always NUL-terminated when errlen > 0). *out is owned: rig_hw_close. */
int rig_hw_open_file(struct rig_hw **out, const char *path, char *err, size_t errlen);

/* Same, but a bench locked by another run is waited for, up to lock_wait_s seconds (progress
 * lines on stderr), before BMSRIG_ERR_STATE. `stop` is polled while waiting and ends the wait
 * when it returns true (the caller's SIGINT/SIGTERM flag); NULL = rig_hw_interrupted(), for
 * callers that use rig_hw_signals_install. rig_hw_open_file is this with 0. */
int rig_hw_open_file_wait(struct rig_hw **out, const char *path, double lock_wait_s,
                          bool (*stop)(void), char *err, size_t errlen);

/* Same with an already loaded description. `b` is borrowed: it must outlive the rig_hw. */
int rig_hw_open(struct rig_hw **out, const struct board *b, char *err, size_t errlen);

/* Puts the bench in its safe state (best effort, logged), releases the lock, closes the device
 * and frees. NULL-safe; safe after any error. */
void rig_hw_close(struct rig_hw *hw);

/* Borrowed: valid until rig_hw_close. */
const struct board *rig_hw_board(const struct rig_hw *hw);

/* ---- one tick ---- */

/* Index of a model signal ("cell[3].v", "ntc[1].v", "pack.v") in the description's channel
 * map, or -1 if the bench does not drive it (the engine may then skip it or report a skip). */
int rig_hw_signal_find(const struct rig_hw *hw, const char *signal);

/* Queues `value` (in the signal's unit, volts for *.v) for channel `idx`; clamps to the
 * channel's limits (counted). Nothing is sent before rig_hw_flush. BMSRIG_ERR_ARG for a bad
 * index or a non-finite value (the channel keeps its previous value). */
int rig_hw_set(struct rig_hw *hw, int idx, double value);
int rig_hw_set_by_name(struct rig_hw *hw, const char *signal, double value);

/* Sets a named fault line (a relay, or a resistor bank position) from the description.
 * `state`: "off"/"clear"/"closed"/NULL = released (the line's normal state), "on"/"open"/
 * "active" = energised; for a resistor bank the name of a position ("nominal", "open",
 * "burnt"...). BMSRIG_ERR_ARG if the bench has no such fault or position; check with
 * rig_hw_fault_supported first to report a scenario as skipped. Queued until rig_hw_flush. */
int rig_hw_fault(struct rig_hw *hw, const char *fault, const char *state);
bool rig_hw_fault_supported(const struct rig_hw *hw, const char *fault);

/* Same with a number, as the engine's faults carry one: a relay is energised for any value but
 * 0; a resistor bank takes the position nearest `value` ohms (log scale, positions with ohms),
 * or at FAULT_RESISTOR_OPEN_OHM and above (INFINITY included) its first position without ohms
 * ("open"). BMSRIG_ERR_ARG if the bench has no such fault, or no position fits (NaN; an open
 * value on a bank without an open position). */
int rig_hw_fault_value(struct rig_hw *hw, const char *fault, double value);

/* The description's line for the named fault `d` (rig/fault/fault.h): the first of its bench
 * lines the description has; NULL if none, or if the fault has no bench mapping (the fake BMS
 * does it). */
const char *rig_hw_fault_line(const struct rig_hw *hw, const struct fault_def *d);

/* Switches the named fault `d` on at `value` on its line (a relay energised, a bank at the
 * position for `value` ohms) or, with clear, back to the line's normal state. *line (may be
 * NULL) gets the line used. BMSRIG_ERR_STATE if the bench has no line for it, BMSRIG_ERR_ARG
 * if the bank has no position for the value. Queued until rig_hw_flush. */
int rig_hw_fault_named(struct rig_hw *hw, const struct fault_def *d, double value, bool clear,
                       const char **line);

/* Sends every DAC frame and GPIO change queued since the last flush in ONE ftdi_write_data
 * (channels whose code did not change are not resent). BMSRIG_ERR_IO on a USB error: the
 * rig is then faulted, later flushes fail fast, and the caller should exit with code 3. */
int rig_hw_flush(struct rig_hw *hw);

/* Forces the safe state now (one write). Also done by rig_hw_close. */
int rig_hw_safe(struct rig_hw *hw);

/* Stats since open. */
void rig_hw_get_stats(const struct rig_hw *hw, struct rig_hw_stats *st);

/* Last commanded value of channel idx after clamping (volts), or NAN for a bad index. */
double rig_hw_value(const struct rig_hw *hw, int idx);

/* DAC code last sent for channel idx (0 for a bad index). */
uint16_t rig_hw_code(const struct rig_hw *hw, int idx);

/* ---- read-back (selftest) ---- */

/* Reads channel idx's DAC register back over SPI (AD5676R read-back command, LTC2668 SDO echo)
 * into *code. BMSRIG_ERR_STATE if the description says the board has no read-back,
 * BMSRIG_ERR_PROTO if what came back is not that channel's frame, BMSRIG_ERR_IO/TIMEOUT on USB
 * trouble. */
int rig_hw_readback(struct rig_hw *hw, int idx, uint16_t *code);

/* Reads the level of all 16 pins (ADBUS | ACBUS << 8) with GET_BITS_LOW/HIGH. */
int rig_hw_read_pins(struct rig_hw *hw, uint16_t *levels);

/* What fault line `fault` should read back now: the pins it drives (mask/value) and, for a
 * relay with a sense input, that pin and its expected level. BMSRIG_ERR_ARG if unknown. */
int rig_hw_fault_expect(const struct rig_hw *hw, const char *fault, uint16_t *mask,
                        uint16_t *value);

/* Calls fn(user, dac_index, frame) for every 24-bit SPI frame as it is queued (NULL to stop):
 * a test or a trace writer sees exactly the words the driver sends. */
typedef void (*rig_hw_frame_fn)(void *user, int dac, uint32_t frame);
void rig_hw_set_frame_trace(struct rig_hw *hw, rig_hw_frame_fn fn, void *user);

/* ---- signals ---- */

/* Installs SIGINT/SIGTERM handlers that only set a flag (process-wide, idempotent). */
void rig_hw_signals_install(void);
/* True once SIGINT or SIGTERM arrived; the number of the signal through *signo if not NULL. */
bool rig_hw_interrupted(int *signo);

#endif
