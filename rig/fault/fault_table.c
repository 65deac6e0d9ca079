/* fault_table.c: the named faults, one row each (the data behind rig/fault/fault.h). Edit a
 * fault here and every consumer follows; docs/scenarios.md's list must then be regenerated
 * (`bmsrig faults --markdown`; the CTest docs_fault_table fails until it is). */
#include "rig/fault/fault.h"

#include <math.h>

/* The reference bench's relays and bank (hw/boards/reference-bench.lua): K1, K2 normally
 * closed in the data lines, energised = cut; K3, K4 select the series resistor. */
static const struct fault_def table[FAULT_COUNT] = {
    [FAULT_BMS_TX] = {
        .id = FAULT_BMS_TX, .name = "bms_tx", .aliases = { "bms_tx_open", NULL },
        .arg = FAULT_ARG_SWITCH, .value_text = "on/off (\"open\" = on)",
        .effect = "BMS TX line open: the BMS still answers (counted) but no byte reaches the "
                  "controller; error 21 after 25 missed polls",
        .bench = FAULT_BENCH_RELAY, .lines = { "bms_tx", NULL },
        .bench_text = "relay `bms_tx` (K1 in the BMS TX line) energised: the line is cut",
        .help = "BMS TX line open: nothing the BMS sends arrives",
    },
    [FAULT_ESC_TX] = {
        .id = FAULT_ESC_TX, .name = "esc_tx", .aliases = { "esc_tx_open", NULL },
        .arg = FAULT_ARG_SWITCH, .value_text = "on/off (\"open\" = on)",
        .effect = "ESC TX line open: the BMS hears nothing (no request counted, no reply)",
        .bench = FAULT_BENCH_RELAY, .lines = { "esc_tx", NULL },
        .bench_text = "relay `esc_tx` (K2 in the ESC TX line) energised: the line is cut",
        .help = "ESC TX line open: the BMS hears nothing",
    },
    [FAULT_REPLY_DELAY] = {
        .id = FAULT_REPLY_DELAY, .name = "reply_delay", .aliases = { NULL },
        .arg = FAULT_ARG_SECONDS, .min = 0, .max = 3600, .value_text = "seconds 0..3600",
        .effect = "every reply starts that much later (on top of the latency model); replies "
                  "keep their order",
        .bench = FAULT_BENCH_NONE,
        .bench_text = "none: the fake BMS delays its replies",
        .help = "extra delay before each reply, seconds",
    },
    [FAULT_CORRUPT_CHECKSUM] = {
        .id = FAULT_CORRUPT_CHECKSUM, .name = "corrupt_checksum", .aliases = { NULL },
        .arg = FAULT_ARG_PROBABILITY, .min = 0, .max = 1, .value_text = "probability 0..1",
        .effect = "a reply's checksum low byte is XORed with a random non-zero value: the frame "
                  "fails its checksum",
        .bench = FAULT_BENCH_NONE,
        .bench_text = "none: the fake BMS corrupts its replies",
        .help = "probability per reply that its checksum is wrong",
    },
    [FAULT_TRUNCATE] = {
        .id = FAULT_TRUNCATE, .name = "truncate", .aliases = { NULL },
        .arg = FAULT_ARG_PROBABILITY, .min = 0, .max = 1, .value_text = "probability 0..1",
        .effect = "a reply is cut after a random 1..n-1 bytes",
        .bench = FAULT_BENCH_NONE,
        .bench_text = "none: the fake BMS cuts its replies",
        .help = "probability per reply that it is cut short",
    },
    [FAULT_GARBAGE] = {
        .id = FAULT_GARBAGE, .name = "garbage", .aliases = { NULL },
        .arg = FAULT_ARG_PROBABILITY, .min = 0, .max = 1, .value_text = "probability 0..1",
        .effect = "1-16 random bytes (never 0x55, so they cannot start a frame) precede a "
                  "reply; the reply itself is intact",
        .bench = FAULT_BENCH_NONE,
        .bench_text = "none: the fake BMS sends the bytes",
        .help = "probability per reply that random bytes precede it",
    },
    [FAULT_STALE] = {
        .id = FAULT_STALE, .name = "stale", .aliases = { NULL },
        .arg = FAULT_ARG_SWITCH, .value_text = "on/off",
        .effect = "the register image stops refreshing: replies keep the last image the BMS "
                  "computed (set from power-on: the first one computed, never a blank image)",
        .bench = FAULT_BENCH_NONE,
        .bench_text = "none: the fake BMS freezes its image",
        .help = "the BMS register image stops refreshing",
    },
    [FAULT_BIT_ERRORS] = {
        .id = FAULT_BIT_ERRORS, .name = "bit_errors", .aliases = { NULL },
        .arg = FAULT_ARG_RATE, .min = 0, .max = 1, .value_text = "bit error rate 0..1",
        .effect = "every bit on both wires flips with that probability",
        .bench = FAULT_BENCH_NONE,
        .bench_text = "none: the fake BMS flips the bits it sends and hears",
        .help = "bit error rate on both wires",
    },
    [FAULT_SERIAL_DEFAULT] = {
        .id = FAULT_SERIAL_DEFAULT, .name = "serial_default", .aliases = { NULL },
        .arg = FAULT_ARG_SWITCH, .value_text = "on/off",
        .effect = "words 0x10-0x16 served as `3GA0016A1A0001`, the default serial (error 23)",
        .bench = FAULT_BENCH_NONE,
        .bench_text = "none: the fake BMS serves the serial",
        .help = "the BMS serial reads 3GA0016A1A0001 (error 23)",
    },
    [FAULT_CONFIG_INVALID] = {
        .id = FAULT_CONFIG_INVALID, .name = "config_invalid", .aliases = { NULL },
        .arg = FAULT_ARG_SWITCH, .value_text = "on/off",
        /* [S protocol.md: status word 0x30 bit 0 "config valid"; [D] clear -> ESC error 22] */
        .effect = "status word 0x30 served with bit 0 (config valid) clear (error 22)",
        .bench = FAULT_BENCH_NONE,
        .bench_text = "none: the fake BMS serves the status word",
        .help = "status bit 0 (config valid) reads clear (error 22)",
    },
    [FAULT_ESC_RESISTOR] = {
        .id = FAULT_ESC_RESISTOR, .name = "esc_resistor", .aliases = { "series_r", NULL },
        .arg = FAULT_ARG_OHMS, .min = 0, .max = INFINITY, .min_excluded = true,
        .words = { { "open", INFINITY }, { "burnt", 47e3 /* [I] a typical burnt reading */ },
                   { NULL, 0 } },
        .value_text = "ohms > 0, \"open\" or \"burnt\" (47 kohm)",
        .effect = "the controller's 0805 series resistor: a bit error rate on both wires rising "
                  "with the resistance [I], the BMS TX line open at 1 Mohm and above",
        .bench = FAULT_BENCH_BANK, .lines = { "esc_resistor", "series_r", NULL },
        .bench_text = "bank `esc_resistor` (or `series_r`; K3, K4) at the position nearest in "
                      "ohms, its `open` position for open",
        .help = "the controller's series resistor, ohms (open, burnt = 47 kohm)",
    },
    [FAULT_MOISTURE] = {
        .id = FAULT_MOISTURE, .name = "moisture", .aliases = { NULL },
        .arg = FAULT_ARG_SEVERITY, .min = 0, .max = 1, .value_text = "severity 0..1",
        /* [I: seeds name moisture as a cause of error 21 after rain; no measured pattern] */
        .effect = "a wet connector: garbage before 30 % of the replies and a bit error rate of "
                  "0.001 at severity 1, both in proportion [I]",
        .bench = FAULT_BENCH_RELAY, .lines = { "moisture", NULL },
        .bench_text = "relay `moisture` if the description has one (neither board in hw/boards "
                      "does: the scenario is skipped there)",
        .help = "a wet connector: garbage bursts and bit errors, severity 0..1",
    },
};

const struct fault_def *fault_table(void)
{
    return table;
}

size_t fault_count(void)
{
    return FAULT_COUNT;
}

const struct fault_def *fault_get(enum fault_id id)
{
    return (unsigned)id < FAULT_COUNT ? &table[id] : NULL;
}
