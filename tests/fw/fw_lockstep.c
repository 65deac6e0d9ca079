/* fw_lockstep.c: `fw_lockstep IMAGE SECONDS [CPU_A CPU_B]`: the same image on two CPU backends
 * (default unicorn and interp), stepped one instruction at a time with the same dashboard
 * traffic (as `bench firmware` gives it), comparing after every step the core registers, the
 * virtual time, the instruction count and the bytes sent on both buses. The first difference is
 * reported with the PC and the encoding of the instruction that produced it; exit 1. Exit 0 when
 * SECONDS of virtual time agree; 2 on a usage or load error; 77 when IMAGE is "" (not given). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/fw/mcu.h"
#include "sim/dash/dash.h"

#define STEP_NS 1000000ull /* host-side step, as in bench firmware [D] bench_firmware.c */

static struct mcu *open_mcu(const char *image, const char *cpu)
{
    struct mcu_config cfg;
    mcu_config_defaults(&cfg);
    cfg.image_path = image;
    cfg.cpu = cpu;
    struct mcu *m = NULL;
    char err[512];
    if (mcu_new(&cfg, &m, err, sizeof err) != BMSRIG_OK) {
        fprintf(stderr, "fw_lockstep: %s: %s\n", cpu, err);
        return NULL;
    }
    return m;
}

/* The instruction at pc as text ("f8d3 2004" or "4770"). */
static void insn_text(struct mcu *m, uint32_t pc, char *buf, size_t cap)
{
    uint8_t b[4] = {0};
    if (mcu_read_memory(m, pc, b, 4) != BMSRIG_OK && mcu_read_memory(m, pc, b, 2) != BMSRIG_OK) {
        snprintf(buf, cap, "(not readable)");
        return;
    }
    unsigned hw1 = b[0] | b[1] << 8u, hw2 = b[2] | b[3] << 8u;
    if ((hw1 >> 11) >= 0x1Du)
        snprintf(buf, cap, "%04x %04x", hw1, hw2);
    else
        snprintf(buf, cap, "%04x", hw1);
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: fw_lockstep IMAGE SECONDS [CPU_A CPU_B]\n");
        return 2;
    }
    if (!argv[1][0]) {
        printf("skip: no image (BMSRIG_STOCK_FW unset)\n");
        return 77;
    }
    double seconds = atof(argv[2]);
    const char *na = argc == 5 ? argv[3] : "unicorn", *nb = argc == 5 ? argv[4] : "interp";
    struct mcu *a = open_mcu(argv[1], na), *b = open_mcu(argv[1], nb);
    if (!a || !b)
        return 2;
    struct dash_config dc;
    dash_config_default(&dc);
    struct dash dash;
    dash_init(&dash, &dc);
    uint64_t end_ns = (uint64_t)(seconds * 1e9), steps = 0;
    uint32_t ra[MCU_CORE_REGS], rb[MCU_CORE_REGS], pc = mcu_pc(a);
    char ea[512] = "", eb[512] = "";
    int result = 0;
    for (uint64_t t = STEP_NS; t <= end_ns && !result; t += STEP_NS) {
        uint8_t out[DASH_BYTES_PER_PERIOD_MAX];
        size_t n = dash_poll(&dash, (int64_t)(t - STEP_NS), out, sizeof out);
        if (n) {
            mcu_uart_rx(a, MCU_USART1, t - STEP_NS, out, n);
            mcu_uart_rx(b, MCU_USART1, t - STEP_NS, out, n);
        }
        while (mcu_time_ns(a) < t || mcu_time_ns(b) < t) {
            uint64_t limit = mcu_instructions(a) + 1;
            pc = mcu_pc(a);
            int rca = mcu_run_insns(a, t, limit, ea, sizeof ea);
            int rcb = mcu_run_insns(b, t, limit, eb, sizeof eb);
            steps++;
            mcu_core_regs(a, ra);
            mcu_core_regs(b, rb);
            int diff = rca != rcb || mcu_time_ns(a) != mcu_time_ns(b) ||
                       mcu_instructions(a) != mcu_instructions(b) || memcmp(ra, rb, sizeof ra);
            if (diff) {
                char text[32];
                insn_text(a, pc, text, sizeof text);
                printf("not ok - %s and %s differ after step %" PRIu64 " (virtual %.6f s), "
                       "from PC 0x%08" PRIx32 " (instruction %s):\n", na, nb, steps,
                       (double)mcu_time_ns(a) * 1e-9, pc, text);
                if (rca != rcb)
                    printf("  status %d vs %d (%s | %s)\n", rca, rcb, ea, eb);
                if (mcu_time_ns(a) != mcu_time_ns(b))
                    printf("  time %" PRIu64 " vs %" PRIu64 " ns\n", mcu_time_ns(a), mcu_time_ns(b));
                if (mcu_instructions(a) != mcu_instructions(b))
                    printf("  instructions %" PRIu64 " vs %" PRIu64 "\n", mcu_instructions(a),
                           mcu_instructions(b));
                for (unsigned i = 0; i < MCU_CORE_REGS; i++)
                    if (ra[i] != rb[i])
                        printf("  %s 0x%08" PRIx32 " vs 0x%08" PRIx32 "\n", mcu_core_reg_name(i),
                               ra[i], rb[i]);
                result = 1;
                break;
            }
            if (rca != BMSRIG_OK) {
                printf("# both stopped alike at %.6f s: %s\n", (double)mcu_time_ns(a) * 1e-9,
                       rca == MCU_POWERED_OFF ? "powered off" : ea);
                t = end_ns;
                break;
            }
        }
        for (int port = 0; port < MCU_PORT_COUNT && !result; port++) {
            uint8_t ba[512], bb[512];
            uint64_t ta[512], tb[512];
            size_t ka, kb;
            do {
                ka = mcu_uart_tx_take(a, (enum mcu_port)port, ba, sizeof ba, ta);
                kb = mcu_uart_tx_take(b, (enum mcu_port)port, bb, sizeof bb, tb);
                if (ka != kb || memcmp(ba, bb, ka) || memcmp(ta, tb, ka * sizeof ta[0])) {
                    printf("not ok - %s and %s sent different bytes on port %d by %.3f ms\n", na,
                           nb, port, (double)t * 1e-6);
                    result = 1;
                    break;
                }
                if (port == MCU_USART1 && ka)
                    dash_receive(&dash, (int64_t)ta[0], ba, ka);
            } while (ka > 0);
        }
    }
    if (!result)
        printf("ok - %s and %s agree on every register after each of %" PRIu64 " steps "
               "(%" PRIu64 " instructions, %.3f virtual s)\n", na, nb, steps,
               mcu_instructions(a), (double)mcu_time_ns(a) * 1e-9);
    mcu_free(a);
    mcu_free(b);
    return result;
}
