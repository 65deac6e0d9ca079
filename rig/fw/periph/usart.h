/* usart.h: one STM32F103 USART (RM0008 section 27) in virtual time: SR/DR/BRR/CR1-3/GTPR, byte
 * timing from BRR and the bus clock, TXE/TC/RXNE/IDLE/ORE, the interrupt line, DMA requests
 * (DMAR/DMAT), single-wire half duplex (HDSEL), and the pin side for the host: bytes queued to
 * arrive at the RX pin and bytes the transmitter finished, each with its time.
 * Owner: branch fw-periph. Plugs into the core through periph/periph.h. */
#ifndef BMSRIG_FW_USART_H
#define BMSRIG_FW_USART_H

#include <stddef.h>
#include <stdint.h>

#include "periph.h"

#define USART1_BASE 0x40013800u
#define USART3_BASE 0x40004800u
#define USART1_IRQ 37u            /* RM0008 table 63 [S] */
#define USART3_IRQ 39u
#define USART1_DMA_TX 4u          /* DMA1 request mapping, RM0008 table 78 [S] */
#define USART1_DMA_RX 5u
#define USART3_DMA_TX 2u
#define USART3_DMA_RX 3u

/* Bytes held on each side of the pin model. */
#define USART_RX_QUEUE 4096u
#define USART_TX_QUEUE 4096u

/* SR bits [S] RM0008 27.6.1 */
#define USART_SR_PE (1u << 0)
#define USART_SR_FE (1u << 1)
#define USART_SR_NE (1u << 2)
#define USART_SR_ORE (1u << 3)
#define USART_SR_IDLE (1u << 4)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TC (1u << 6)
#define USART_SR_TXE (1u << 7)
#define USART_SR_LBD (1u << 8)
#define USART_SR_CTS (1u << 9)

/* The bus clock of the USART, in ps per PCLK cycle, at the time asked (the board reads the RCC
 * prescalers). */
typedef uint64_t (*usart_clock_fn)(void *user);

struct usart_wiring {
    const char *name;        /* "USART1" */
    uint32_t base;
    unsigned irq;
    unsigned dma_rx, dma_tx; /* DMA1 channels of its requests */
    usart_clock_fn pclk_ps;
    void *clock_user;
};

struct usart_byte {
    uint64_t t_ps;           /* RX: when its stop bit ends at the pin; TX: when it was sent */
    uint8_t byte;
};

struct usart {
    struct mcu *m;
    struct usart_wiring w;
    uint32_t sr, rdr, brr, cr1, cr2, cr3, gtpr;
    /* transmitter: TDR and the shift register */
    int tdr_full;
    uint8_t tdr;
    int shifting;            /* a frame is on the wire (or the idle preamble after TE rises) */
    int shift_is_idle;       /* the frame being shifted is the idle preamble (no data) */
    uint8_t shift_byte;
    uint64_t shift_done_ps;
    /* receiver */
    int idle_armed;          /* a byte was received; IDLE follows one idle frame later */
    uint64_t idle_due_ps;
    uint64_t rx_free_ps;     /* the pin is free for the next queued byte from here */
    /* software clear sequences (RM0008 27.6.1): an SR read followed by a DR read (RX flags) or a
     * DR write (TC) */
    uint32_t sr_seen_rx;     /* SR flags the last SR read showed, for the next DR read */
    int sr_seen_tx;          /* an SR read happened since the last DR write */
    int irq_level;
    int in_advance;
    /* the pin side: bytes due at the RX pin, bytes sent */
    struct usart_byte rxq[USART_RX_QUEUE];
    size_t rx_head, rx_len;
    struct usart_byte txq[USART_TX_QUEUE];
    size_t tx_head, tx_len;
    uint64_t rx_lost;        /* arrived while the receiver was off, or overrun */
    uint64_t tx_dropped;     /* the host did not take them in time (queue full) */
};

/* Reset state; `out` describes the block (register dispatch and time hooks). */
void usart_init(struct usart *u, struct mcu *m, const struct usart_wiring *w, struct periph *out);

/* Queues n bytes at the RX pin, the first starting at t_ps (or when the previous queued byte
 * ends, whichever is later), one frame time at the configured format and baud apart; a byte
 * whose end would already be past ends now.
 * BMSRIG_OK or BMSRIG_ERR_RANGE (queue full, nothing queued). */
int usart_rx_queue(struct usart *u, uint64_t t_ps, const uint8_t *bytes, size_t n);

/* Takes up to cap sent bytes, oldest first (t_ps_out may be NULL). */
size_t usart_tx_take(struct usart *u, uint8_t *buf, size_t cap, uint64_t *t_ps_out);

/* Time of one frame (start, data, parity, stop bits) at the current BRR and clock, in ps. */
uint64_t usart_frame_ps(const struct usart *u);

/* A DMA channel of this USART was enabled: re-assert a pending TX request. */
void usart_dma_kick(struct usart *u);

#endif
