/* dut_firmware.c: a firmware image on the emulated MCU as the device under test, wired to the
 * link's in-process wire (USART3) and the dashboard model (USART1). */
#include "rig/dut/dut_firmware.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/line/link.h"
#include "sim/dash/dash.h"
#include "sim/status.h"

#define DUT_FW_ALIVE_NS 1000000000LL   /* a dashboard reply within 1 s: the controller answers */
/* Until the controller first answers the dashboard, while it boots, the dashboard shows no
 * error; a controller silent this long after power-on is not answering (error -1). DRV134
 * answers its first read 0.55 s after reset, our image 0.59 s [O]; 1.5 s leaves room [I]. */
#define DUT_FW_BOOT_GRACE_NS 1500000000LL
#define DUT_FW_IO_CHUNK 256
/* The dashboard model reads the error word every 20 ms between its 100 ms lever frames, so an
 * error shows at most 20 ms (plus the reply) after the controller sets it; a stock dashboard
 * reads once per frame, up to 100 ms late, more than some scenarios' windows allow [I]. */
#define DUT_FW_ERROR_READ_NS 20000000LL
/* A stock image replaces an EEPROM page without its own header by its defaults at boot (and
 * so loses the UID copy: error 27). Provisioning therefore starts from the page the image
 * writes on a blank first boot, run this long: DRV134 programs it within its first 50 ms [O]. */
#define DUT_FW_FIRST_BOOT_NS 300000000ULL
#define DUT_FW_PAGE_CACHE 4

struct dut_firmware {
    struct dut_firmware_config cfg;
    uint8_t eeprom[MCU_EEPROM_LEN];   /* the image's own first-boot pages, when it wrote any */
    bool have_eeprom;
    struct mcu *mcu;          /* NULL while unpowered */
    bool fresh;               /* mcu is just reset (never run): reusable for the first power-on */
    bool powered;
    int64_t on_us;            /* engine time of the last power-on: MCU time 0 */
    int64_t t_us;             /* engine time the MCU has been run to */
    struct dash dash;
    bool have_version;        /* a version read over the bus, kept across power cycles */
    uint16_t version;
    uint64_t bms_out, bms_in;
    char msg[DUT_FW_MSG_MAX];
};

void dut_firmware_config_default(struct dut_firmware_config *cfg)
{
    struct mcu_config m;
    mcu_config_defaults(&m);
    memset(cfg, 0, sizeof(*cfg));
    cfg->base = m.base;
    cfg->provision = m.provision;
    cfg->verbosity = m.verbosity;
}

static int make_mcu(const struct dut_firmware_config *cfg, const uint8_t *eeprom,
                    struct mcu **out, char *err, size_t errcap)
{
    struct mcu_config m;
    mcu_config_defaults(&m);
    m.image_path = cfg->image_path;
    m.base = cfg->base;
    m.provision = cfg->provision;
    m.verbosity = cfg->verbosity;
    m.no_poll_skip = cfg->no_poll_skip;
    m.cpu = cfg->cpu;
    if (eeprom && !m.provision.blank) {
        m.provision.eeprom = eeprom;
        m.provision.eeprom_len = MCU_EEPROM_LEN;
    }
    return mcu_new(&m, out, err, errcap);
}

/* The first-boot pages per image, shared by the scenarios of a run (they run on threads). */
static struct {
    char path[1024];
    uint32_t base;
    bool wrote;
    uint8_t page[MCU_EEPROM_LEN];
} page_cache[DUT_FW_PAGE_CACHE];
static unsigned page_cache_n;
static pthread_mutex_t page_cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Boots the image once on erased EEPROM pages and keeps what it programmed there (true) or
 * nothing if it left them erased (false: our own image never writes them). */
bool dut_firmware_first_boot_pages(const struct dut_firmware_config *cfg,
                                   uint8_t page[MCU_EEPROM_LEN])
{
    bool wrote = false, found = false;
    pthread_mutex_lock(&page_cache_lock);
    for (unsigned i = 0; i < page_cache_n && !found; i++)
        if (page_cache[i].base == cfg->base && strcmp(page_cache[i].path, cfg->image_path) == 0) {
            found = true;
            wrote = page_cache[i].wrote;
            memcpy(page, page_cache[i].page, MCU_EEPROM_LEN);
        }
    if (!found) {
        struct dut_firmware_config blank = *cfg;
        blank.provision.blank = 1;
        blank.verbosity = 0;
        struct mcu *m = NULL;
        char err[DUT_FW_MSG_MAX];
        if (make_mcu(&blank, NULL, &m, err, sizeof(err)) == BMSRIG_OK) {
            mcu_run_until(m, DUT_FW_FIRST_BOOT_NS, err, sizeof(err));
            if (mcu_read_memory(m, MCU_EEPROM_PAGE, page, MCU_EEPROM_LEN) == BMSRIG_OK)
                for (size_t i = 0; i < MCU_EEPROM_LEN && !wrote; i++)
                    wrote = page[i] != 0xFF;
        }
        mcu_free(m);
        if (page_cache_n < DUT_FW_PAGE_CACHE &&
            strlen(cfg->image_path) < sizeof(page_cache[0].path)) {
            unsigned k = page_cache_n++;
            snprintf(page_cache[k].path, sizeof(page_cache[k].path), "%s", cfg->image_path);
            page_cache[k].base = cfg->base;
            page_cache[k].wrote = wrote;
            memcpy(page_cache[k].page, page, MCU_EEPROM_LEN);
        }
    }
    pthread_mutex_unlock(&page_cache_lock);
    return wrote;
}

int dut_firmware_open(const struct dut_firmware_config *cfg, struct dut_firmware **out,
                      char *err, size_t errcap)
{
    *out = NULL;
    if (!cfg || !cfg->image_path || !cfg->image_path[0]) {
        snprintf(err, errcap, "--firmware: no image given");
        return BMSRIG_ERR_ARG;
    }
    struct dut_firmware *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errcap, "%s: out of memory", cfg->image_path);
        return BMSRIG_ERR_NOMEM;
    }
    d->cfg = *cfg;
    int rc = make_mcu(cfg, NULL, &d->mcu, err, errcap);   /* validates the image first */
    if (rc != BMSRIG_OK) {
        free(d);
        return rc;
    }
    if (!cfg->provision.blank && !cfg->provision.eeprom &&
        (d->have_eeprom = dut_firmware_first_boot_pages(cfg, d->eeprom))) {
        mcu_free(d->mcu);   /* again, from the image's own pages with the UID and serial */
        d->mcu = NULL;
        rc = make_mcu(cfg, d->eeprom, &d->mcu, err, errcap);
        if (rc != BMSRIG_OK) {
            free(d);
            return rc;
        }
    }
    d->fresh = true;
    *out = d;
    return BMSRIG_OK;
}

void dut_firmware_close(struct dut_firmware *d)
{
    if (!d)
        return;
    mcu_free(d->mcu);
    free(d);
}

int dut_firmware_power_on(struct dut_firmware *d, int64_t now_us)
{
    if (!d->fresh) {
        mcu_free(d->mcu);
        d->mcu = NULL;
        int rc = make_mcu(&d->cfg, d->have_eeprom ? d->eeprom : NULL, &d->mcu, d->msg,
                          sizeof(d->msg));
        if (rc != BMSRIG_OK) {
            d->powered = false;
            return rc;
        }
    }
    d->fresh = false;
    d->powered = true;
    d->on_us = now_us;
    d->t_us = now_us;
    struct dash_config dc;
    dash_config_default(&dc);
    dc.first_ns = 0;
    dc.read_period_ns = DUT_FW_ERROR_READ_NS;
    dash_init(&d->dash, &dc);
    return BMSRIG_OK;
}

void dut_firmware_power_off(struct dut_firmware *d)
{
    d->powered = false;   /* the MCU is rebuilt at the next power-on */
}

bool dut_firmware_powered(const struct dut_firmware *d) { return d->powered; }

/* MCU time of engine time t_us. */
static uint64_t mcu_ns(const struct dut_firmware *d, int64_t t_us)
{
    return (uint64_t)(t_us - d->on_us) * 1000u;
}

/* BMS bytes that reach the controller's RX pin by t_us, into USART3 at their times. The link
 * was advanced to the previous step's end: every reply starting before t_us is on the wire
 * (t_us is never past the link's next event). */
static void bms_to_mcu(struct dut_firmware *d, struct link *l, int64_t t_us)
{
    uint8_t buf[DUT_FW_IO_CHUNK];
    int64_t arrive[DUT_FW_IO_CHUNK];
    const int64_t byte_us = (int64_t)(link_byte_us(l) + 0.5);
    size_t n;
    while ((n = link_esc_recv(l, t_us, buf, arrive, sizeof(buf))) > 0) {
        d->bms_in += n;
        if (d->powered) {
            int64_t start = arrive[0] - byte_us;
            if (start < d->t_us)
                start = d->t_us;
            mcu_uart_rx(d->mcu, MCU_USART3, mcu_ns(d, start), buf, n);
        }
        if (n < sizeof(buf))
            break;
    }
}

/* What the firmware finished sending: BMS bytes onto the wire, dashboard bytes to the model. */
static void mcu_to_buses(struct dut_firmware *d, struct link *l)
{
    uint8_t buf[DUT_FW_IO_CHUNK];
    uint64_t done[DUT_FW_IO_CHUNK];
    const int64_t byte_us = (int64_t)(link_byte_us(l) + 0.5);
    size_t n;
    while ((n = mcu_uart_tx_take(d->mcu, MCU_USART3, buf, sizeof(buf), done)) > 0) {
        for (size_t i = 0; i < n; i++) {
            /* the link times a byte from its start: the completion time less one byte */
            int64_t start = d->on_us + (int64_t)(done[i] / 1000u) - byte_us;
            link_esc_send(l, start, &buf[i], 1);
        }
        d->bms_out += n;
    }
    while ((n = mcu_uart_tx_take(d->mcu, MCU_USART1, buf, sizeof(buf), done)) > 0)
        dash_receive(&d->dash, (int64_t)done[n - 1], buf, n);
    const struct dash_observation *o = dash_observe(&d->dash);
    if (o->have_version) {
        d->have_version = true;
        d->version = o->version;
    }
}

int dut_firmware_tick(struct dut_firmware *d, struct link *l, int64_t now_us, double pack_v,
                      double throttle, double brake)
{
    if (!d->powered) {
        link_advance(l, now_us);   /* the wire still moves; nobody listens */
        bms_to_mcu(d, l, now_us);
        d->t_us = now_us;
        return BMSRIG_OK;
    }
    mcu_set_pack_voltage(d->mcu, pack_v);
    struct dash_levers lv = { .throttle = throttle, .brake = brake };
    dash_set_levers(&d->dash, &lv);
    for (unsigned step = 0; d->t_us < now_us; step++) {
        /* follow the wire's events inside the tick so BMS bytes reach the firmware on time */
        int64_t t = now_us;
        int64_t ev = link_next_event_us(l);
        if (step < DUT_FW_SUBSTEPS_MAX && ev > d->t_us && ev < t)
            t = ev;
        bms_to_mcu(d, l, t);
        uint8_t out[DASH_BYTES_PER_PERIOD_MAX];
        size_t n = dash_poll(&d->dash, (int64_t)mcu_ns(d, t), out, sizeof(out));
        if (n) {
            dash_gap(&d->dash);
            mcu_uart_rx(d->mcu, MCU_USART1, mcu_ns(d, t), out, n);
        }
        int rc = mcu_run_until(d->mcu, mcu_ns(d, t), d->msg, sizeof(d->msg));
        /* the bytes the firmware sent up to t go on the wire before the wire moves to t, so
         * the BMS receiver sees each frame whole (not a gap at every step boundary) */
        mcu_to_buses(d, l);
        link_advance(l, t);
        d->t_us = t;
        if (rc == MCU_POWERED_OFF) {
            d->powered = false;
            return BMSRIG_OK;
        }
        if (rc != BMSRIG_OK) {
            d->powered = false;
            return BMSRIG_ERR_STATE;
        }
    }
    return BMSRIG_OK;
}

const char *dut_firmware_message(const struct dut_firmware *d) { return d->msg; }

int dut_firmware_error(const struct dut_firmware *d)
{
    const struct dash_observation *o = dash_observe(&d->dash);
    if (!d->powered)
        return -1;
    if (o->have_error) /* a controller that stopped answering the dashboard shows nothing */
        return (int64_t)mcu_ns(d, d->t_us) - o->last_reply_ns <= DUT_FW_ALIVE_NS ? o->error_code
                                                                                 : -1;
    return (int64_t)mcu_ns(d, d->t_us) < DUT_FW_BOOT_GRACE_NS ? 0 : -1;
}

double dut_firmware_speed_kmh(const struct dut_firmware *d)
{
    const struct dash_observation *o = dash_observe(&d->dash);
    return o->have_speed ? o->speed_kmh : 0.0;
}

bool dut_firmware_version(const struct dut_firmware *d, uint16_t *out)
{
    if (d->have_version)
        *out = d->version;
    return d->have_version;
}

bool dut_firmware_alive(const struct dut_firmware *d, int64_t now_us)
{
    const struct dash_observation *o = dash_observe(&d->dash);
    return d->powered && o->last_reply_ns >= 0
           && (int64_t)mcu_ns(d, now_us) - o->last_reply_ns <= DUT_FW_ALIVE_NS;
}

uint64_t dut_firmware_bms_bytes_out(const struct dut_firmware *d) { return d->bms_out; }
uint64_t dut_firmware_bms_bytes_in(const struct dut_firmware *d) { return d->bms_in; }
const char *dut_firmware_image(const struct dut_firmware *d) { return d->cfg.image_path; }

const char *dut_firmware_cpu_name(const struct dut_firmware_config *cfg)
{
    return cfg->cpu ? cfg->cpu : MCU_DEFAULT_CPU;
}
