/* usart.c: an STM32F103 USART in virtual time (RM0008 section 27): the transmitter (TDR, shift
 * register, idle preamble when TE rises, TXE/TC), the receiver (RDR, RXNE, ORE, IDLE one idle
 * frame after the last byte), the clear sequences, the interrupt line, DMA requests and
 * single-wire half duplex (HDSEL: what the transmitter sends is also received while RE is set). */
#include "usart.h"

#include <string.h>

#include "sim/status.h"

/* CR1 / CR2 / CR3 bits [S] RM0008 27.6.4-27.6.6 */
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_IDLEIE (1u << 4)
#define CR1_RXNEIE (1u << 5)
#define CR1_TCIE (1u << 6)
#define CR1_TXEIE (1u << 7)
#define CR1_PEIE (1u << 8)
#define CR1_PCE (1u << 10)
#define CR1_M (1u << 12)
#define CR1_UE (1u << 13)
#define CR2_STOP_SHIFT 12
#define CR3_EIE (1u << 0)
#define CR3_HDSEL (1u << 3)
#define CR3_DMAR (1u << 6)
#define CR3_DMAT (1u << 7)

#define SR_RC_W0 (USART_SR_RXNE | USART_SR_TC | USART_SR_LBD | USART_SR_CTS)
#define SR_RX_ERRORS (USART_SR_PE | USART_SR_FE | USART_SR_NE | USART_SR_ORE | USART_SR_IDLE)

/* A frame at 115200 8N1 (10 bits of 8.680556 us): the timing of bytes queued before the
 * firmware has set BRR. */
#define NOMINAL_FRAME_PS 86805556u

static uint64_t now_ps(const struct usart *u) { return mcu_now_ps(u->m); }

uint64_t usart_frame_ps(const struct usart *u)
{
    if (u->brr == 0)
        return NOMINAL_FRAME_PS;
    /* baud = PCLK / BRR (BRR is USARTDIV in 1/16 units, RM0008 27.3.4 [S]); USARTDIV >= 1 */
    uint64_t brr = u->brr < 16u ? 16u : u->brr;
    uint64_t bit_ps = brr * u->w.pclk_ps(u->w.clock_user);
    static const unsigned stop_half_bits[4] = {2, 1, 4, 3}; /* 1, 0.5, 2, 1.5 stop bits */
    unsigned half_bits = 2u * (1u + ((u->cr1 & CR1_M) ? 9u : 8u)) +
                         stop_half_bits[(u->cr2 >> CR2_STOP_SHIFT) & 3u];
    return bit_ps * half_bits / 2u;
}

static void update_irq(struct usart *u)
{
    uint32_t sr = u->sr, cr1 = u->cr1;
    int level = (cr1 & CR1_UE) &&
                (((cr1 & CR1_TXEIE) && (sr & USART_SR_TXE)) ||
                 ((cr1 & CR1_TCIE) && (sr & USART_SR_TC)) ||
                 ((cr1 & CR1_RXNEIE) && (sr & (USART_SR_RXNE | USART_SR_ORE))) ||
                 ((cr1 & CR1_IDLEIE) && (sr & USART_SR_IDLE)) ||
                 ((cr1 & CR1_PEIE) && (sr & USART_SR_PE)) ||
                 ((u->cr3 & CR3_EIE) && (u->cr3 & CR3_DMAR) &&
                  (sr & (USART_SR_FE | USART_SR_NE | USART_SR_ORE))));
    if (level != u->irq_level) {
        u->irq_level = level;
        mcu_irq_set(u->m, u->w.irq, level);
    }
}

/* TXE with DMAT: the DMA channel writes the next byte into DR (through usart_write). */
static void request_tx_dma(struct usart *u)
{
    if ((u->cr3 & CR3_DMAT) && (u->sr & USART_SR_TXE))
        mcu_dma_request(u->m, u->w.dma_tx);
}

/* TDR into the shift register at t if the transmitter is free and enabled. */
static void start_tx(struct usart *u, uint64_t t)
{
    if (!u->tdr_full || u->shifting || !(u->cr1 & CR1_UE) || !(u->cr1 & CR1_TE))
        return;
    u->shifting = 1;
    u->shift_is_idle = 0;
    u->shift_byte = u->tdr;
    u->tdr_full = 0;
    u->shift_done_ps = t + usart_frame_ps(u);
    u->sr |= USART_SR_TXE;
    request_tx_dma(u);
}

static void receive_byte(struct usart *u, uint64_t t, uint8_t b)
{
    if (u->sr & USART_SR_RXNE) {
        u->sr |= USART_SR_ORE; /* RDR not read: this byte is lost [S] */
        u->rx_lost++;
    } else {
        u->rdr = b;
        u->sr |= USART_SR_RXNE;
    }
    u->idle_armed = 1;
    u->idle_due_ps = t + usart_frame_ps(u);
    if ((u->cr3 & CR3_DMAR) && (u->sr & USART_SR_RXNE))
        mcu_dma_request(u->m, u->w.dma_rx); /* the channel reads DR: RXNE clears */
}

static void tx_done(struct usart *u, uint64_t t)
{
    u->shifting = 0;
    if (!u->shift_is_idle) {
        if (u->tx_len == USART_TX_QUEUE) {
            u->tx_head = (u->tx_head + 1u) % USART_TX_QUEUE; /* oldest dropped */
            u->tx_len--;
            u->tx_dropped++;
        }
        u->txq[(u->tx_head + u->tx_len) % USART_TX_QUEUE] = (struct usart_byte){t, u->shift_byte};
        u->tx_len++;
        /* one wire: the receiver hears the transmitter [S] RM0008 27.3.10 */
        if ((u->cr3 & CR3_HDSEL) && (u->cr1 & CR1_RE) && (u->cr1 & CR1_UE))
            receive_byte(u, t, u->shift_byte);
    }
    if (u->tdr_full)
        start_tx(u, t);
    else
        u->sr |= USART_SR_TC;
}

static void rx_due(struct usart *u, uint64_t t)
{
    uint8_t b = u->rxq[u->rx_head].byte;
    u->rx_head = (u->rx_head + 1u) % USART_RX_QUEUE;
    u->rx_len--;
    if ((u->cr1 & CR1_UE) && (u->cr1 & CR1_RE))
        receive_byte(u, t, b);
    else
        u->rx_lost++; /* nobody listens */
}

static void idle_due(struct usart *u, uint64_t t)
{
    u->idle_armed = 0;
    /* a byte that starts before the idle frame ends keeps the line busy (it re-arms IDLE) */
    if (u->rx_len && u->rxq[u->rx_head].t_ps - usart_frame_ps(u) < t)
        return;
    if ((u->cr1 & CR1_UE) && (u->cr1 & CR1_RE))
        u->sr |= USART_SR_IDLE;
}

static uint64_t usart_next_event(void *state, uint64_t now)
{
    (void)now;
    const struct usart *u = state;
    uint64_t next = PERIPH_NO_EVENT;
    if (u->shifting && u->shift_done_ps < next)
        next = u->shift_done_ps;
    if (u->rx_len && u->rxq[u->rx_head].t_ps < next)
        next = u->rxq[u->rx_head].t_ps;
    if (u->idle_armed && u->idle_due_ps < next)
        next = u->idle_due_ps;
    return next;
}

static void usart_advance(void *state, uint64_t now)
{
    struct usart *u = state;
    if (u->in_advance)
        return; /* a DMA transfer reading DR from inside an event */
    u->in_advance = 1;
    for (;;) {
        uint64_t t = usart_next_event(u, now);
        if (t > now)
            break;
        if (u->shifting && u->shift_done_ps == t)
            tx_done(u, t);
        else if (u->rx_len && u->rxq[u->rx_head].t_ps == t)
            rx_due(u, t);
        else
            idle_due(u, t);
    }
    u->in_advance = 0;
    update_irq(u);
}

static int usart_read(void *state, uint32_t off, uint32_t *v)
{
    struct usart *u = state;
    switch (off) {
    case 0x00:
        *v = u->sr;
        u->sr_seen_rx = u->sr;
        u->sr_seen_tx = 1;
        return 1;
    case 0x04:
        *v = u->rdr;
        /* RXNE clears on a DR read; PE/FE/NE/ORE/IDLE seen by the SR read before it too [S] */
        u->sr &= ~(USART_SR_RXNE | (u->sr_seen_rx & SR_RX_ERRORS));
        u->sr_seen_rx = 0;
        update_irq(u);
        return 1;
    case 0x08: *v = u->brr; return 1;
    case 0x0C: *v = u->cr1; return 1;
    case 0x10: *v = u->cr2; return 1;
    case 0x14: *v = u->cr3; return 1;
    case 0x18: *v = u->gtpr; return 1;
    default: return 0;
    }
}

static int usart_write(void *state, uint32_t off, uint32_t v)
{
    struct usart *u = state;
    uint64_t now = now_ps(u);
    switch (off) {
    case 0x00:
        u->sr &= v | ~SR_RC_W0; /* RXNE, TC, LBD, CTS: writing 0 clears; the rest read-only */
        break;
    case 0x04:
        u->tdr = (uint8_t)v;
        u->tdr_full = 1;
        u->sr &= ~USART_SR_TXE;
        if (u->sr_seen_tx)
            u->sr &= ~USART_SR_TC; /* SR read then DR write [S] */
        u->sr_seen_tx = 0;
        start_tx(u, now);
        break;
    case 0x08: u->brr = v & 0xFFFFu; break;
    case 0x0C: {
        uint32_t old = u->cr1;
        u->cr1 = v & 0x3FFFu;
        int was_on = (old & CR1_UE) && (old & CR1_TE);
        int is_on = (u->cr1 & CR1_UE) && (u->cr1 & CR1_TE);
        if (is_on && !was_on && !u->shifting) {
            /* TE rising sends an idle frame before the first data frame [S] RM0008 27.3.2 */
            u->shifting = 1;
            u->shift_is_idle = 1;
            u->shift_done_ps = now + usart_frame_ps(u);
        }
        start_tx(u, now);
        break;
    }
    case 0x10: u->cr2 = v & 0x7F7Fu; break;
    case 0x14:
        u->cr3 = v & 0x07FFu;
        request_tx_dma(u);
        break;
    case 0x18: u->gtpr = v & 0xFFFFu; break;
    default: return 0;
    }
    update_irq(u);
    return 1;
}

void usart_init(struct usart *u, struct mcu *m, const struct usart_wiring *w, struct periph *out)
{
    memset(u, 0, sizeof *u);
    u->m = m;
    u->w = *w;
    u->sr = USART_SR_TXE | USART_SR_TC; /* reset value 0x00C0 [S] */
    *out = (struct periph){.name = w->name, .base = w->base, .size = 0x400, .read = usart_read,
                           .write = usart_write, .state = u, .next_event_ps = usart_next_event,
                           .advance = usart_advance};
}

int usart_rx_queue(struct usart *u, uint64_t t_ps, const uint8_t *bytes, size_t n)
{
    if (n > USART_RX_QUEUE - u->rx_len)
        return BMSRIG_ERR_RANGE;
    /* The bytes' times come from the wire alone: a byte that began on the pin before now (the
     * core's time can be a few instructions past the caller's) still ends when the wire says,
     * so the state does not depend on where the core stopped. Only an end already past is
     * moved to now (the receiver cannot act in the past). */
    uint64_t start = t_ps, now = now_ps(u), frame = usart_frame_ps(u);
    if (start < u->rx_free_ps)
        start = u->rx_free_ps;
    for (size_t i = 0; i < n; i++) {
        start += frame;
        if (start < now)
            start = now;
        u->rxq[(u->rx_head + u->rx_len) % USART_RX_QUEUE] = (struct usart_byte){start, bytes[i]};
        u->rx_len++;
    }
    u->rx_free_ps = start;
    mcu_events_changed(u->m);
    return BMSRIG_OK;
}

size_t usart_tx_take(struct usart *u, uint8_t *buf, size_t cap, uint64_t *t_ps_out)
{
    size_t n = 0;
    while (n < cap && u->tx_len) {
        buf[n] = u->txq[u->tx_head].byte;
        if (t_ps_out)
            t_ps_out[n] = u->txq[u->tx_head].t_ps;
        u->tx_head = (u->tx_head + 1u) % USART_TX_QUEUE;
        u->tx_len--;
        n++;
    }
    return n;
}

void usart_dma_kick(struct usart *u)
{
    request_tx_dma(u);
}
