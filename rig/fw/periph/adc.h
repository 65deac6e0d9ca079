/* adc.h: one STM32F103 ADC (RM0008 section 11) in virtual time: the regular group (single or
 * continuous, scan, started by ADON or SWSTART) with DMA requests, the injected group started
 * by JSWSTART (offsets JOFRx, JDRx), calibration, EOC/JEOC/STRT/JSTRT flags and the shared
 * ADC1_2 interrupt line. Conversion time = (sample time + 12.5) ADC clocks, ADCCLK = PCLK2 /
 * ADCPRE. Channel inputs are raw 12-bit values set by the board. External triggers (timers) are
 * not modelled: a group waiting for one never starts. Owner: branch fw-periph. */
#ifndef BMSRIG_FW_ADC_H
#define BMSRIG_FW_ADC_H

#include <stdint.h>

#include "periph.h"

#define ADC1_BASE 0x40012400u
#define ADC2_BASE 0x40012800u
#define ADC_IRQ 18u               /* ADC1_2, RM0008 table 63 [S] */
#define ADC1_DMA_CHANNEL 1u       /* RM0008 table 78 [S] */
#define ADC_CHANNELS 18u          /* 0..15 pins, 16 temperature sensor, 17 VREFINT */
#define ADC_RAW_MAX 4095u
#define ADC_RAW_MID 2048u

/* The ADC clock in ps per cycle now (the board reads PCLK2 and ADCPRE from the RCC). */
typedef uint64_t (*adc_clock_fn)(void *user);
/* Whether a conversion's DMA request can raise an interrupt (the channel's TCIE/HTIE): then
 * every conversion is an event of its own; else continuous conversions are settled lazily. */
typedef int (*adc_dma_irq_fn)(void *user);
/* The length of the enabled circular DMA cycle the conversions feed (its CNDTR reload), or 0:
 * lets a long lazy catch-up skip whole cycles that leave memory and CNDTR as they were. */
typedef unsigned (*adc_dma_cycle_fn)(void *user);

/* A group of this ADC started at t_ps (the board starts the dual-mode slave with it). */
typedef void (*adc_start_fn)(void *user, int injected, uint64_t t_ps);

struct adc_wiring {
    const char *name;         /* "ADC1" */
    uint32_t base;
    unsigned dma_channel;     /* 0 = none (ADC2) */
    adc_clock_fn adcclk_ps;
    adc_dma_irq_fn dma_interrupts;
    adc_dma_cycle_fn dma_cycle;
    adc_start_fn on_start;    /* NULL: none */
    void *user;
    unsigned *shared_irq;     /* the ADC1_2 line: one bit per ADC, driven by either */
    unsigned irq_bit;
};

struct adc {
    struct mcu *m;
    struct adc_wiring w;
    uint32_t sr, cr1, cr2, smpr1, smpr2, jofr[4], htr, ltr, sqr1, sqr2, sqr3, jsqr;
    uint32_t jdr[4], dr;
    uint16_t input[ADC_CHANNELS];
    /* the regular group in progress */
    int reg_running;
    unsigned reg_rank;        /* the rank converting now */
    uint64_t reg_done_ps;     /* when it ends */
    /* the injected group in progress */
    int inj_running;
    uint64_t inj_done_ps;
    int in_advance;
    uint64_t conversions;
};

/* Reset state, inputs at mid-scale; `out` describes the block. */
void adc_init(struct adc *a, struct mcu *m, const struct adc_wiring *w, struct periph *out);

/* The raw value (0..4095, clamped) channel ch converts from now on (the block is settled to
 * now first: conversions that ended before saw the old value). */
void adc_set_input(struct adc *a, unsigned ch, unsigned raw);

/* Brings the conversions up to now (the DMA block calls it before its registers are read). */
void adc_sync(struct adc *a);

/* An external trigger event at t_ps: source (0..6) in EXTSEL / JEXTSEL numbering starts the
 * regular (injected = 0) or injected group if that group's trigger is enabled and selects it
 * (a trigger while the group converts is ignored). Returns 1 if a group started. */
int adc_external_trigger(struct adc *a, int injected, unsigned source, uint64_t t_ps);
/* Whether the group's external trigger is enabled with `source` selected (ADON set). */
int adc_trigger_selected(const struct adc *a, int injected, unsigned source);
/* Dual mode (ADC1 CR1 DUALMOD, RM0008 11.9): ADC2 starts its injected group with ADC1's. */
unsigned adc_dual_mode(const struct adc *a);
void adc_start_injected_with_master(struct adc *a, uint64_t t_ps);

#endif
