/* periph.h: how a peripheral model plugs into the core (rig/fw/periph/): its register block in
 * the dispatch table, its own time (events it causes by itself), and the core's services it may
 * call (interrupt lines, DMA requests, the bus, the time of the current access).
 * Owner: branch fw-core (the core side); peripheral models are written against it. */
#ifndef BMSRIG_FW_PERIPH_H
#define BMSRIG_FW_PERIPH_H

#include <stddef.h>
#include <stdint.h>

struct mcu;

/* Returned by next_event_ps when nothing is scheduled. */
#define PERIPH_NO_EVENT UINT64_MAX

/* One register block. read/write get the offset from `base` and return 1 if the register is
 * modelled, 0 if not (the core then counts and logs the access with its address and PC).
 * read/write may call mcu_now_ps() for the time of the access (the executing instruction's).
 *
 * Time hooks (both optional, NULL = the block never changes by itself):
 * - next_event_ps(state, now_ps): the earliest time > now_ps at which the model changes state on
 *   its own (a UART byte completes, a conversion ends, a queued RX byte is due), or
 *   PERIPH_NO_EVENT. The core never runs past that time without calling advance(): the run
 *   chunk ends there, and idle skipping (WFI, a polling loop) jumps to the earliest such time.
 *   It is asked again after every advance() and after every write to the block.
 * - advance(state, now_ps): bring the model up to now_ps (apply every event due at or before
 *   it: set flags, raise interrupt lines, request DMA). Called with non-decreasing times: at
 *   each time the core reaches that next_event_ps named, and before every read or write of the
 *   block, so read/write always see the state at the access time. */
struct periph {
    const char *name;
    uint32_t base, size;
    int (*read)(void *state, uint32_t off, uint32_t *value);
    int (*write)(void *state, uint32_t off, uint32_t value);
    void *state;
    uint64_t (*next_event_ps)(void *state, uint64_t now_ps);
    void (*advance)(void *state, uint64_t now_ps);
    /* 1 if a register's value can change between the events next_event_ps names (a running
     * counter such as TIMx_CNT, flags computed lazily from the time): a polling loop that
     * reads this block is then never skipped, since skipping relies on reads that repeat
     * until the next event. 0 (the default) for blocks whose state changes only at events. */
    int reads_vary;
};

/* Core services (implemented in rig/fw/core/). Callable from init code and from any hook. */

/* Adds a register block to the dispatch table (copied). The block must lie in the peripheral
 * region 0x40000000..0x4002FFFF (then its bit-band alias works too) and must not overlap one
 * already added. BMSRIG_OK, BMSRIG_ERR_ARG (outside/overlap) or BMSRIG_ERR_RANGE (table full). */
int mcu_add_periph(struct mcu *m, const struct periph *p);

/* Virtual time of the access being served (inside read/write/advance: the current
 * instruction's time; between runs: the time mcu_run_until reached). */
uint64_t mcu_now_ps(const struct mcu *m);

/* One cycle of HCLK in ps (= the core's instruction cost); PCLK1 = HCLK/2, PCLK2 = HCLK on the
 * M365 clock tree [O] (BRR values are interpreted against these by the USART model). */
uint32_t mcu_hclk_ps(const struct mcu *m);

/* Drives the NVIC input of external interrupt `irq` (0..67: the position in the vector table
 * after the 16 core entries, e.g. USART3 = 39, DMA1 channel 3 = 13; RM0008 table 63). A rising
 * level (0 -> 1) sets the interrupt pending; while the level stays 1 it is pending again each
 * time its handler returns (level-sensitive, like the part's peripheral lines). Level 0 does not
 * clear a pending state already latched (the handler or ICPR does). Out-of-range irq: ignored. */
void mcu_irq_set(struct mcu *m, unsigned irq, int level);

/* DMA requests. The DMA controller model registers its handler once (a second call replaces
 * it); a peripheral with DMA enabled then calls mcu_dma_request(m, channel) (1..7, DMA1) when it
 * has an item for / wants an item from the channel: the handler moves one item (by mcu_bus_*)
 * and returns 1, or returns 0 (channel disabled, count 0). No handler: returns 0. */
typedef int (*mcu_dma_fn)(void *state, unsigned channel);
void mcu_set_dma_handler(struct mcu *m, mcu_dma_fn fn, void *state);
int mcu_dma_request(struct mcu *m, unsigned channel);

/* Bus access for a DMA master: SRAM, flash (read), or a peripheral register through the
 * dispatch table (size 1, 2 or 4; naturally aligned). BMSRIG_OK, or BMSRIG_ERR_ARG for an
 * address nothing answers (the DMA model then sets its transfer-error flag). */
int mcu_bus_read(struct mcu *m, uint32_t addr, unsigned size, uint32_t *value);
int mcu_bus_write(struct mcu *m, uint32_t addr, unsigned size, uint32_t value);

/* A model whose next event changed outside its own hooks (e.g. bytes queued by the host side,
 * mcu_uart_rx between runs) tells the core to ask next_event_ps again. */
void mcu_events_changed(struct mcu *m);

#endif
