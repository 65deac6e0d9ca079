/* uart.c: USART3 (BMS line) and USART1 (dashboard bus) at 115200 8N1: RX by DMA1 into circular
 * rings (channel 3 and 5; the new bytes are found from CNDTR), TX by DMA1 from a queue (channel
 * 2 and 4), chained from the channel's transfer-complete interrupt, so the core sleeps while a
 * frame goes out and the bytes still leave back to back. */
#include "hal.h"
#include "stm32f103.h"

#define RX_RING 256u
#define TX_QUEUE 1024u

struct port {
    uint32_t usart;
    uint32_t rx_channel, tx_channel;
    uint32_t brr;
    uint8_t ring[RX_RING];
    uint32_t rx_tail;                   /* next ring index to read */
    uint8_t txq[TX_QUEUE];
    volatile uint32_t tx_head, tx_len;  /* queued bytes, including those in flight */
    volatile uint32_t tx_inflight;      /* bytes the TX channel is moving now */
    uint32_t tx_dropped;
};

/* BRR = PCLK / 115200 in 1/16 units, rounded (RM0008 27.3.4). */
#define BRR_115200(pclk) (((pclk) + 57600u) / 115200u)

static struct port ports[2] = {
    [HAL_PORT_BMS] = { .usart = USART3_BASE, .rx_channel = 3, .tx_channel = 2,
                       .brr = BRR_115200(PCLK1_HZ) },
    [HAL_PORT_DASH] = { .usart = USART1_BASE, .rx_channel = 5, .tx_channel = 4,
                        .brr = BRR_115200(PCLK2_HZ) },
};

static void port_init(struct port *p)
{
    uint32_t ch = p->rx_channel;
    DMA1_CCR(ch) = 0;
    DMA1_CPAR(ch) = p->usart + 0x04u;  /* USART_DR */
    DMA1_CMAR(ch) = (uint32_t)(uintptr_t)p->ring;
    DMA1_CNDTR(ch) = RX_RING;
    DMA1_CCR(ch) = DMA_CCR_MINC | DMA_CCR_CIRC | DMA_CCR_EN;
    DMA1_CCR(p->tx_channel) = 0;
    DMA1_CPAR(p->tx_channel) = p->usart + 0x04u;
    uint32_t irq = DMA1_CHANNEL_IRQ(p->tx_channel);
    NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
    USART_BRR(p->usart) = p->brr;
    USART_CR3(p->usart) = USART_CR3_DMAR | USART_CR3_DMAT;
    USART_CR1(p->usart) = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE;
}

void uart_init(void)
{
    /* PB10 USART3_TX AF push-pull, PB11 USART3_RX floating; PA9 USART1_TX, PA10 USART1_RX. */
    GPIO_CRH(GPIOB_BASE) = (GPIO_CRH(GPIOB_BASE) & ~(0xFFu << 8)) |
                           (GPIO_MODE_AF_PP_50MHZ << 8) | (GPIO_MODE_INPUT_FLOAT << 12);
    GPIO_CRH(GPIOA_BASE) = (GPIO_CRH(GPIOA_BASE) & ~(0xFFu << 4)) |
                           (GPIO_MODE_AF_PP_50MHZ << 4) | (GPIO_MODE_INPUT_FLOAT << 8);
    port_init(&ports[HAL_PORT_BMS]);
    port_init(&ports[HAL_PORT_DASH]);
}

size_t uart_rx_take(enum hal_port port, uint8_t *buf, size_t cap)
{
    struct port *p = &ports[port];
    uint32_t left = DMA1_CNDTR(p->rx_channel);
    uint32_t head = left == 0 || left > RX_RING ? 0 : (RX_RING - left) % RX_RING;
    size_t n = 0;
    while (p->rx_tail != head && n < cap) {
        buf[n++] = p->ring[p->rx_tail];
        p->rx_tail = (p->rx_tail + 1u) % RX_RING;
    }
    return n;
}

/* Starts the TX channel on the next contiguous run of the queue (interrupts masked or from the
 * channel's own interrupt). */
static void tx_start(struct port *p)
{
    if (p->tx_inflight || p->tx_len == 0)
        return;
    uint32_t run = TX_QUEUE - p->tx_head;
    if (run > p->tx_len)
        run = p->tx_len;
    uint32_t ch = p->tx_channel;
    DMA1_CCR(ch) = 0;
    DMA1_CMAR(ch) = (uint32_t)(uintptr_t)&p->txq[p->tx_head];
    DMA1_CNDTR(ch) = run;
    p->tx_inflight = run;
    DMA1_CCR(ch) = DMA_CCR_MINC | DMA_CCR_DIR | DMA_CCR_TCIE | DMA_CCR_EN;
}

static void tx_done(struct port *p)
{
    DMA1_IFCR = DMA1_IFCR_CGIF(p->tx_channel);
    p->tx_head = (p->tx_head + p->tx_inflight) % TX_QUEUE;
    p->tx_len -= p->tx_inflight;
    p->tx_inflight = 0;
    tx_start(p);
}

void DMA1_Channel2_IRQHandler(void) { tx_done(&ports[HAL_PORT_BMS]); }
void DMA1_Channel4_IRQHandler(void) { tx_done(&ports[HAL_PORT_DASH]); }

void uart_tx_queue(enum hal_port port, const uint8_t *bytes, size_t n)
{
    struct port *p = &ports[port];
    __asm__ volatile("cpsid i" ::: "memory");
    for (size_t i = 0; i < n; i++) {
        if (p->tx_len == TX_QUEUE) {
            p->tx_dropped++;
            continue;
        }
        p->txq[(p->tx_head + p->tx_len) % TX_QUEUE] = bytes[i];
        p->tx_len++;
    }
    tx_start(p);
    __asm__ volatile("cpsie i" ::: "memory");
}

size_t uart_tx_pending(void)
{
    return ports[HAL_PORT_BMS].tx_len + ports[HAL_PORT_DASH].tx_len;
}
