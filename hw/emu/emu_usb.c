/* emu_usb.c: the libusb-1.0 API as the unmodified Debian libftdi1 1.5 calls it (28 functions,
 * rig.md 2.1), answered by emulated FT232H / FT2232H devices. Built as libusb-1.0.so.0 and put
 * in front of the real one with LD_LIBRARY_PATH (tests) -- never linked into bmsrig.
 *
 * Configuration (all optional):
 *   BMSRIG_EMU_CONFIG  file with the devices and what hangs on their pins (format below);
 *                      without it the built-in board of hw/boards/emulated.lua is used
 *   BMSRIG_EMU_LOG     event log: DAC output changes, pin and relay changes, SPI errors, USB
 *                      faults, each with emulated time in ns
 *   BMSRIG_EMU_VCD     VCD of device 0 interface A pins (SK, DO, DI, ADBUS3..7, ACBUS0..7)
 *   BMSRIG_EMU_FAULTS  "unplug_after_writes=N,usb_error_on_write=N,miso_stuck=0|1,
 *                      open_stall_ms=N" (device 0)
 *
 * Config lines ('#' starts a comment):
 *   device ft232h|ft2232h SERIAL
 *   dac NAME ad5676r|ltc2668 cs=PIN [ldac=PIN] [vref=V] [gain=G] [span=0..4]
 *   relay NAME pin=PIN [active=low|high] [sense=PIN]
 *   fault unplug_after_writes=N usb_error_on_write=N miso_stuck=0|1 open_stall_ms=N
 * dac/relay/fault lines apply to the last device line. PIN: ADBUS0..7, ACBUS0..7.
 *
 * Everything is single-threaded and never blocks (except open_stall_ms: the first libusb_open
 * of the device sleeps that long in real time, logged as "usb open stall N ms" before it
 * sleeps, so a test can signal a process while it is still opening the bench): an IN transfer with nothing to send returns
 * the 2 modem-status bytes at once; an asynchronous read that stays empty for its timeout (in
 * emulated latency-timer periods) completes with LIBUSB_TRANSFER_TIMED_OUT. */
#include <libusb.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu.h"

#define EMU_EXPORT __attribute__((visibility("default")))

/* ---- world and configuration ---------------------------------------------------------- */

/* The built-in configuration: the emulated board of hw/boards/emulated.lua. */
static const char default_config[] =
    "device ft232h BMSEMU01\n"
    "dac cells_a ad5676r cs=ADBUS3 ldac=ADBUS6 vref=2.5 gain=2\n"
    "dac cells_b ad5676r cs=ADBUS4 ldac=ADBUS6 vref=2.5 gain=2\n"
    "dac aux ltc2668 cs=ADBUS5 span=1\n"
    "relay bms_tx pin=ACBUS0 sense=ACBUS4\n"
    "relay esc_tx pin=ACBUS1 sense=ACBUS5\n"
    "relay series_r_open pin=ACBUS2 sense=ACBUS6\n"
    "relay series_r_burnt pin=ACBUS3 sense=ACBUS7\n";

static struct emu_world world;

static int parse_pin(const char *s)
{
    if (strncasecmp(s, "ADBUS", 5) == 0 && s[5] >= '0' && s[5] <= '7' && !s[6])
        return s[5] - '0';
    if (strncasecmp(s, "ACBUS", 5) == 0 && s[5] >= '0' && s[5] <= '7' && !s[6])
        return 8 + s[5] - '0';
    return -1;
}

static void cfg_error(const char *src, int line, const char *msg, const char *tok)
{
    fprintf(stderr, "usbemu: %s:%d: %s '%s'\n", src, line, msg, tok ? tok : "");
}

static void device_add(struct emu_world *w, enum emu_chip chip, const char *serial)
{
    if (w->ndev >= EMU_MAX_DEVICES)
        return;
    struct emu_device *d = &w->dev[w->ndev];
    memset(d, 0, sizeof(*d));
    d->chip = chip;
    d->vid = 0x0403;                                      /* [S] FTDI */
    d->pid = chip == EMU_FT232H ? 0x6014 : 0x6010;        /* [S] rig.md 2.2 */
    d->bcd = chip == EMU_FT232H ? 0x0900 : 0x0700;        /* [S] libftdi chip-type table */
    d->nports = chip == EMU_FT232H ? 1 : 2;
    snprintf(d->serial, sizeof(d->serial), "%s", serial);
    d->bus = 1;
    d->addr = (uint8_t)(2 + w->ndev);
    d->miso_stuck = -1;
    for (int i = 0; i < 2; i++) {
        d->port[i].latency_ms = 16;                       /* [I] FTDI default latency timer */
        emu_port_reset(&d->port[i]);
    }
    memset(d->eeprom, 0xFF, sizeof(d->eeprom));           /* blank EEPROM */
    w->ndev++;
}

static void apply_fault_kv(struct emu_device *d, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq)
        return;
    size_t klen = (size_t)(eq - kv);
    unsigned long long v = strtoull(eq + 1, NULL, 0);
#define KEY_IS(name) (klen == sizeof(name) - 1 && strncmp(kv, name, klen) == 0)
    if (KEY_IS("unplug_after_writes"))
        d->unplug_after = v;
    else if (KEY_IS("usb_error_on_write"))
        d->usb_error_on = v;
    else if (KEY_IS("miso_stuck"))
        d->miso_stuck = v ? 1 : 0;
    else if (KEY_IS("open_stall_ms"))
        d->open_stall_ms = v;
    else
        fprintf(stderr, "usbemu: unknown fault '%.*s'\n", (int)klen, kv);
}

static void parse_config(struct emu_world *w, const char *text, const char *src)
{
    char line[512];
    int lineno = 0;
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, "\n");
        lineno++;
        if (n >= sizeof(line))
            n = sizeof(line) - 1;
        memcpy(line, p, n);
        line[n] = 0;
        p += n;
        if (*p == '\n')
            p++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *save = NULL;
        char *tok = strtok_r(line, " \t\r", &save);
        if (!tok)
            continue;
        struct emu_device *d = w->ndev ? &w->dev[w->ndev - 1] : NULL;
        if (strcmp(tok, "device") == 0) {
            char *type = strtok_r(NULL, " \t\r", &save);
            char *serial = strtok_r(NULL, " \t\r", &save);
            if (!type || !serial) {
                cfg_error(src, lineno, "device needs a type and a serial", NULL);
                continue;
            }
            if (strcmp(type, "ft232h") == 0)
                device_add(w, EMU_FT232H, serial);
            else if (strcmp(type, "ft2232h") == 0)
                device_add(w, EMU_FT2232H, serial);
            else
                cfg_error(src, lineno, "unknown device type", type);
        } else if (!d) {
            cfg_error(src, lineno, "no device line before", tok);
        } else if (strcmp(tok, "dac") == 0 && d->nslaves < EMU_MAX_SLAVES) {
            struct emu_slave *s = &d->slave[d->nslaves];
            memset(s, 0, sizeof(*s));
            char *name = strtok_r(NULL, " \t\r", &save);
            char *model = strtok_r(NULL, " \t\r", &save);
            if (!name || !model) {
                cfg_error(src, lineno, "dac needs a name and a model", NULL);
                continue;
            }
            snprintf(s->name, sizeof(s->name), "%s", name);
            if (strcmp(model, "ad5676r") == 0)
                s->kind = EMU_AD5676R;
            else if (strcmp(model, "ltc2668") == 0)
                s->kind = EMU_LTC2668;
            else {
                cfg_error(src, lineno, "unknown dac model", model);
                continue;
            }
            s->cs_pin = -1;
            s->ldac_pin = -1;
            s->vref_v = 2.5;
            s->gain = 1;
            int span = 0;
            for (char *kv; (kv = strtok_r(NULL, " \t\r", &save));) {
                char *eq = strchr(kv, '=');
                if (!eq) {
                    cfg_error(src, lineno, "expected key=value, got", kv);
                    continue;
                }
                *eq = 0;
                const char *v = eq + 1;
                if (strcmp(kv, "cs") == 0)
                    s->cs_pin = parse_pin(v);
                else if (strcmp(kv, "ldac") == 0)
                    s->ldac_pin = parse_pin(v);
                else if (strcmp(kv, "vref") == 0)
                    s->vref_v = strtod(v, NULL);
                else if (strcmp(kv, "gain") == 0)
                    s->gain = strtod(v, NULL);
                else if (strcmp(kv, "span") == 0)
                    span = atoi(v);
                else
                    cfg_error(src, lineno, "unknown dac key", kv);
            }
            if (s->cs_pin < 0) {
                cfg_error(src, lineno, "dac needs cs=PIN", name);
                continue;
            }
            emu_slave_init(s);
            for (int c = 0; c < 16; c++)
                s->span[c] = (uint8_t)(span & 7);
            d->nslaves++;
        } else if (strcmp(tok, "relay") == 0 && d->nrelays < EMU_MAX_RELAYS) {
            struct emu_relay *r = &d->relay[d->nrelays];
            memset(r, 0, sizeof(*r));
            char *name = strtok_r(NULL, " \t\r", &save);
            if (!name) {
                cfg_error(src, lineno, "relay needs a name", NULL);
                continue;
            }
            snprintf(r->name, sizeof(r->name), "%s", name);
            r->pin = -1;
            r->sense_pin = -1;
            for (char *kv; (kv = strtok_r(NULL, " \t\r", &save));) {
                char *eq = strchr(kv, '=');
                if (!eq)
                    continue;
                *eq = 0;
                if (strcmp(kv, "pin") == 0)
                    r->pin = parse_pin(eq + 1);
                else if (strcmp(kv, "sense") == 0)
                    r->sense_pin = parse_pin(eq + 1);
                else if (strcmp(kv, "active") == 0)
                    r->active_low = strcmp(eq + 1, "low") == 0;
            }
            if (r->pin < 0) {
                cfg_error(src, lineno, "relay needs pin=PIN", name);
                continue;
            }
            d->nrelays++;
        } else if (strcmp(tok, "fault") == 0) {
            for (char *kv; (kv = strtok_r(NULL, " \t\r", &save));)
                apply_fault_kv(d, kv);
        } else {
            cfg_error(src, lineno, "unknown line", tok);
        }
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    fclose(f);
    if (buf)
        buf[len] = 0;
    return buf;
}

static void vcd_header(struct emu_world *w)
{
    static const char *const names[16] = {
        "sck", "mosi", "miso", "adbus3", "adbus4", "adbus5", "adbus6", "adbus7",
        "acbus0", "acbus1", "acbus2", "acbus3", "acbus4", "acbus5", "acbus6", "acbus7",
    };
    fprintf(w->vcd, "$date emulated $end\n$version bmsrig usbemu $end\n$timescale 1 ns $end\n"
                    "$scope module ftdi $end\n");
    for (int i = 0; i < 16; i++)
        fprintf(w->vcd, "$var wire 1 %c %s $end\n", '!' + i, names[i]);
    fprintf(w->vcd, "$upscope $end\n$enddefinitions $end\n");
}

struct emu_world *emu_world_get(void)
{
    struct emu_world *w = &world;
    if (w->loaded)
        return w;
    w->loaded = true;
    const char *cfg = getenv("BMSRIG_EMU_CONFIG");
    char *text = cfg && *cfg ? slurp(cfg) : NULL;
    if (cfg && *cfg && !text)
        fprintf(stderr, "usbemu: cannot read BMSRIG_EMU_CONFIG '%s', using the built-in board\n",
                cfg);
    parse_config(w, text ? text : default_config, text ? cfg : "built-in");
    free(text);
    const char *faults = getenv("BMSRIG_EMU_FAULTS");
    if (faults && *faults && w->ndev) {
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", faults);
        char *save = NULL;
        for (char *kv = strtok_r(buf, ", ", &save); kv; kv = strtok_r(NULL, ", ", &save))
            apply_fault_kv(&w->dev[0], kv);
    }
    const char *logp = getenv("BMSRIG_EMU_LOG");
    if (logp && *logp) {
        w->log = fopen(logp, "a");
        if (w->log)
            setvbuf(w->log, NULL, _IOLBF, 0);
    }
    const char *vcdp = getenv("BMSRIG_EMU_VCD");
    if (vcdp && *vcdp) {
        w->vcd = fopen(vcdp, "w");
        if (w->vcd)
            vcd_header(w);
    }
    for (int i = 0; i < w->ndev; i++)
        emu_log(w, "device %s %04x:%04x bus %u addr %u", w->dev[i].serial, w->dev[i].vid,
                w->dev[i].pid, w->dev[i].bus, w->dev[i].addr);
    return w;
}

void emu_log(struct emu_world *w, const char *fmt, ...)
{
    if (!w->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(w->log, "%llu ", (unsigned long long)(w->t_ps / 1000));
    vfprintf(w->log, fmt, ap);
    fputc('\n', w->log);
    va_end(ap);
}

/* ---- libusb objects -------------------------------------------------------------------- */

struct emu_transfer;

struct libusb_context {
    struct emu_transfer *pending;    /* submitted, not yet completed (FIFO) */
};

struct libusb_device {
    struct libusb_context *ctx;
    struct emu_device *d;
    int refs;
};

struct libusb_device_handle {
    struct libusb_device *dev;
    unsigned claimed;
};

/* libusb puts its bookkeeping in front of each transfer; so do we. */
struct emu_transfer {
    struct emu_transfer *next;
    bool in_flight, cancelled;
    unsigned idle_ms;                /* emulated time an IN transfer has waited for data */
    struct libusb_transfer t;        /* must be last: iso descriptors follow */
};

static struct emu_transfer *emu_of(struct libusb_transfer *t)
{
    return (struct emu_transfer *)(void *)((char *)t - offsetof(struct emu_transfer, t));
}

EMU_EXPORT int LIBUSB_CALL libusb_init(libusb_context **ctx)
{
    emu_world_get();
    struct libusb_context *c = calloc(1, sizeof(*c));
    if (!c)
        return LIBUSB_ERROR_NO_MEM;
    if (ctx)
        *ctx = c;
    else
        free(c);   /* the default context is not supported: libftdi always passes one */
    return LIBUSB_SUCCESS;
}

EMU_EXPORT void LIBUSB_CALL libusb_exit(libusb_context *ctx)
{
    struct emu_world *w = emu_world_get();
    if (w->vcd)
        fflush(w->vcd);
    free(ctx);
}

EMU_EXPORT ssize_t LIBUSB_CALL libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
    struct emu_world *w = emu_world_get();
    libusb_device **l = calloc((size_t)w->ndev + 1, sizeof(*l));
    if (!l)
        return LIBUSB_ERROR_NO_MEM;
    ssize_t n = 0;
    for (int i = 0; i < w->ndev; i++) {
        if (w->dev[i].unplugged)
            continue;
        struct libusb_device *dev = calloc(1, sizeof(*dev));
        if (!dev)
            break;
        dev->ctx = ctx;
        dev->d = &w->dev[i];
        dev->refs = 1;
        l[n++] = dev;
    }
    *list = l;
    return n;
}

EMU_EXPORT libusb_device *LIBUSB_CALL libusb_ref_device(libusb_device *dev)
{
    if (dev)
        dev->refs++;
    return dev;
}

EMU_EXPORT void LIBUSB_CALL libusb_unref_device(libusb_device *dev)
{
    if (dev && --dev->refs <= 0)
        free(dev);
}

EMU_EXPORT void LIBUSB_CALL libusb_free_device_list(libusb_device **list, int unref_devices)
{
    if (!list)
        return;
    if (unref_devices)
        for (size_t i = 0; list[i]; i++)
            libusb_unref_device(list[i]);
    free(list);
}

EMU_EXPORT uint8_t LIBUSB_CALL libusb_get_bus_number(libusb_device *dev)
{
    return dev->d->bus;
}

EMU_EXPORT uint8_t LIBUSB_CALL libusb_get_device_address(libusb_device *dev)
{
    return dev->d->addr;
}

EMU_EXPORT int LIBUSB_CALL libusb_get_device_descriptor(libusb_device *dev,
                                                       struct libusb_device_descriptor *desc)
{
    const struct emu_device *d = dev->d;
    memset(desc, 0, sizeof(*desc));
    desc->bLength = LIBUSB_DT_DEVICE_SIZE;
    desc->bDescriptorType = LIBUSB_DT_DEVICE;
    desc->bcdUSB = 0x0200;                 /* high speed [S] rig.md 2.5 */
    desc->bDeviceClass = 0;
    desc->bMaxPacketSize0 = 64;
    desc->idVendor = d->vid;
    desc->idProduct = d->pid;
    desc->bcdDevice = d->bcd;
    desc->iManufacturer = 1;
    desc->iProduct = 2;
    desc->iSerialNumber = 3;
    desc->bNumConfigurations = 1;
    return LIBUSB_SUCCESS;
}

/* One allocation holds the configuration, its interfaces, altsettings and endpoints. */
struct emu_config_block {
    struct libusb_config_descriptor cfg;
    struct libusb_interface itf[2];
    struct libusb_interface_descriptor alt[2];
    struct libusb_endpoint_descriptor ep[2][2];
};

EMU_EXPORT int LIBUSB_CALL libusb_get_config_descriptor(libusb_device *dev, uint8_t config_index,
                                                       struct libusb_config_descriptor **config)
{
    if (config_index != 0)
        return LIBUSB_ERROR_NOT_FOUND;
    struct emu_config_block *b = calloc(1, sizeof(*b));
    if (!b)
        return LIBUSB_ERROR_NO_MEM;
    int n = dev->d->nports;
    b->cfg.bLength = LIBUSB_DT_CONFIG_SIZE;
    b->cfg.bDescriptorType = LIBUSB_DT_CONFIG;
    b->cfg.wTotalLength = (uint16_t)(LIBUSB_DT_CONFIG_SIZE +
                                     n * (LIBUSB_DT_INTERFACE_SIZE + 2 * LIBUSB_DT_ENDPOINT_SIZE));
    b->cfg.bNumInterfaces = (uint8_t)n;
    b->cfg.bConfigurationValue = 1;
    b->cfg.bmAttributes = 0x80;
    b->cfg.MaxPower = 50;                  /* 100 mA, in 2 mA units */
    b->cfg.interface = b->itf;
    for (int i = 0; i < n; i++) {
        struct libusb_interface_descriptor *a = &b->alt[i];
        a->bLength = LIBUSB_DT_INTERFACE_SIZE;
        a->bDescriptorType = LIBUSB_DT_INTERFACE;
        a->bInterfaceNumber = (uint8_t)i;
        a->bNumEndpoints = 2;
        a->bInterfaceClass = 0xFF;
        a->bInterfaceSubClass = 0xFF;
        a->bInterfaceProtocol = 0xFF;
        a->iInterface = 2;
        a->endpoint = b->ep[i];
        /* endpoint[0] is what libftdi reads wMaxPacketSize from: bulk IN, 512 at high speed */
        b->ep[i][0] = (struct libusb_endpoint_descriptor){
            .bLength = LIBUSB_DT_ENDPOINT_SIZE, .bDescriptorType = LIBUSB_DT_ENDPOINT,
            .bEndpointAddress = (uint8_t)(0x81 + 2 * i), .bmAttributes = LIBUSB_TRANSFER_TYPE_BULK,
            .wMaxPacketSize = 512 };
        b->ep[i][1] = (struct libusb_endpoint_descriptor){
            .bLength = LIBUSB_DT_ENDPOINT_SIZE, .bDescriptorType = LIBUSB_DT_ENDPOINT,
            .bEndpointAddress = (uint8_t)(0x02 + 2 * i), .bmAttributes = LIBUSB_TRANSFER_TYPE_BULK,
            .wMaxPacketSize = 512 };
        b->itf[i].altsetting = a;
        b->itf[i].num_altsetting = 1;
    }
    *config = &b->cfg;
    return LIBUSB_SUCCESS;
}

EMU_EXPORT void LIBUSB_CALL libusb_free_config_descriptor(struct libusb_config_descriptor *config)
{
    free(config);   /* cfg is the first member of the block */
}

EMU_EXPORT int LIBUSB_CALL libusb_open(libusb_device *dev, libusb_device_handle **dev_handle)
{
    if (dev->d->unplugged)
        return LIBUSB_ERROR_NO_DEVICE;
    if (dev->d->open_stall_ms) {   /* a slow enumeration: once, whole, whatever signals come */
        uint64_t ms = dev->d->open_stall_ms;
        dev->d->open_stall_ms = 0;
        emu_log(emu_world_get(), "usb open stall %llu ms", (unsigned long long)ms);
        struct timespec left = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
        while (nanosleep(&left, &left) != 0 && errno == EINTR)
            ;
    }
    struct libusb_device_handle *h = calloc(1, sizeof(*h));
    if (!h)
        return LIBUSB_ERROR_NO_MEM;
    h->dev = libusb_ref_device(dev);
    *dev_handle = h;
    return LIBUSB_SUCCESS;
}

EMU_EXPORT void LIBUSB_CALL libusb_close(libusb_device_handle *dev_handle)
{
    if (!dev_handle)
        return;
    libusb_unref_device(dev_handle->dev);
    free(dev_handle);
}

EMU_EXPORT int LIBUSB_CALL libusb_get_configuration(libusb_device_handle *dev, int *config)
{
    if (dev->dev->d->unplugged)
        return LIBUSB_ERROR_NO_DEVICE;
    *config = 1;
    return LIBUSB_SUCCESS;
}

EMU_EXPORT int LIBUSB_CALL libusb_set_configuration(libusb_device_handle *dev, int configuration)
{
    if (dev->dev->d->unplugged)
        return LIBUSB_ERROR_NO_DEVICE;
    return configuration == 1 || configuration == -1 ? LIBUSB_SUCCESS : LIBUSB_ERROR_NOT_FOUND;
}

EMU_EXPORT int LIBUSB_CALL libusb_claim_interface(libusb_device_handle *dev, int interface_number)
{
    if (dev->dev->d->unplugged)
        return LIBUSB_ERROR_NO_DEVICE;
    if (interface_number < 0 || interface_number >= dev->dev->d->nports)
        return LIBUSB_ERROR_NOT_FOUND;
    dev->claimed |= 1u << interface_number;
    return LIBUSB_SUCCESS;
}

EMU_EXPORT int LIBUSB_CALL libusb_release_interface(libusb_device_handle *dev, int interface_number)
{
    if (interface_number < 0 || interface_number >= 2 ||
        !(dev->claimed & (1u << interface_number)))
        return LIBUSB_ERROR_NOT_FOUND;
    dev->claimed &= ~(1u << interface_number);
    return dev->dev->d->unplugged ? LIBUSB_ERROR_NO_DEVICE : LIBUSB_SUCCESS;
}

EMU_EXPORT int LIBUSB_CALL libusb_detach_kernel_driver(libusb_device_handle *dev,
                                                      int interface_number)
{
    (void)dev;
    (void)interface_number;
    return LIBUSB_ERROR_NOT_FOUND;   /* no kernel driver bound to an emulated device */
}

EMU_EXPORT int LIBUSB_CALL libusb_set_auto_detach_kernel_driver(libusb_device_handle *dev,
                                                               int enable)
{
    (void)dev;
    (void)enable;
    return LIBUSB_SUCCESS;
}

EMU_EXPORT int LIBUSB_CALL libusb_get_string_descriptor_ascii(libusb_device_handle *dev,
                                                             uint8_t desc_index,
                                                             unsigned char *data, int length)
{
    const struct emu_device *d = dev->dev->d;
    if (d->unplugged)
        return LIBUSB_ERROR_NO_DEVICE;
    const char *s;
    switch (desc_index) {
    case 1: s = "FTDI"; break;
    case 2: s = d->chip == EMU_FT232H ? "Single RS232-HS" : "Dual RS232-HS"; break;   /* [I] */
    case 3: s = d->serial; break;
    default: return LIBUSB_ERROR_INVALID_PARAM;
    }
    if (length <= 0)
        return LIBUSB_ERROR_INVALID_PARAM;
    int n = (int)strlen(s);
    if (n > length - 1)
        n = length - 1;
    memcpy(data, s, (size_t)n);
    data[n] = 0;
    return n;
}

/* ---- control requests (rig.md 2.3) ---------------------------------------------------- */

static int port_of_index(const struct emu_device *d, uint16_t wIndex)
{
    int idx = wIndex & 0xFF;
    int port = idx <= 1 ? 0 : idx - 1;
    return port < d->nports ? port : -1;
}

EMU_EXPORT int LIBUSB_CALL libusb_control_transfer(libusb_device_handle *dev_handle,
                                                  uint8_t request_type, uint8_t bRequest,
                                                  uint16_t wValue, uint16_t wIndex,
                                                  unsigned char *data, uint16_t wLength,
                                                  unsigned int timeout)
{
    (void)timeout;
    struct emu_world *w = emu_world_get();
    struct emu_device *d = dev_handle->dev->d;
    if (d->unplugged)
        return LIBUSB_ERROR_NO_DEVICE;
    if ((request_type & 0x60) != LIBUSB_REQUEST_TYPE_VENDOR)
        return LIBUSB_ERROR_PIPE;
    int pi = port_of_index(d, wIndex);
    bool in = request_type & 0x80;
    switch (bRequest) {
    case 0x00: /* SIO_RESET: 0 reset, 1 purge host->chip, 2 purge chip->host [S] */
        if (pi < 0)
            return LIBUSB_ERROR_PIPE;
        if (wValue == 0) {
            emu_port_reset(&d->port[pi]);
        } else if (wValue == 1) {
            d->port[pi].cmd_len = 0;
        } else if (wValue == 2) {
            d->port[pi].rx_len = 0;
        }
        return 0;
    case 0x01: /* modem control */
    case 0x02: /* flow control */
    case 0x03: /* baud rate */
    case 0x04: /* line properties */
    case 0x06: /* event char */
    case 0x07: /* error char */
        return 0;
    case 0x05: /* poll modem status */
        if (!in || wLength < 2)
            return LIBUSB_ERROR_PIPE;
        data[0] = 0x32;  /* [I] as pyftdi fabricates: CTS|DSR + reserved bit 1 */
        data[1] = 0x60;  /* THRE | TEMT */
        return 2;
    case 0x09: /* set latency timer */
        if (pi < 0 || (wValue & 0xFF) == 0)
            return LIBUSB_ERROR_PIPE;
        d->port[pi].latency_ms = (uint8_t)wValue;
        return 0;
    case 0x0A: /* get latency timer */
        if (!in || wLength < 1 || pi < 0)
            return LIBUSB_ERROR_PIPE;
        data[0] = d->port[pi].latency_ms;
        return 1;
    case 0x0B: /* set bitmode: wValue = mode << 8 | direction */
        if (pi < 0)
            return LIBUSB_ERROR_PIPE;
        emu_port_set_bitmode(w, d, pi, wValue >> 8, (uint8_t)wValue);
        return 0;
    case 0x0C: /* read pins */
        if (!in || wLength < 1 || pi < 0)
            return LIBUSB_ERROR_PIPE;
        data[0] = emu_port_read_pins(w, d, pi);
        return 1;
    case 0x90: /* read EEPROM word */
        if (!in || wLength < 2)
            return LIBUSB_ERROR_PIPE;
        data[0] = (uint8_t)d->eeprom[wIndex & 0x7F];
        data[1] = (uint8_t)(d->eeprom[wIndex & 0x7F] >> 8);
        return 2;
    case 0x91: /* write EEPROM word */
        d->eeprom[wIndex & 0x7F] = wValue;
        return 0;
    case 0x92: /* erase EEPROM */
        memset(d->eeprom, 0xFF, sizeof(d->eeprom));
        return 0;
    default:
        return LIBUSB_ERROR_PIPE;
    }
}

/* ---- bulk data ---------------------------------------------------------------------------- */

/* Decides the fate of an OUT transfer before it is applied: unplug and error hooks. */
static int out_fault(struct emu_world *w, struct emu_device *d)
{
    if (d->unplugged) {
        emu_log(w, "usb refused write: %s unplugged", d->serial);
        return LIBUSB_ERROR_NO_DEVICE;
    }
    if (d->unplug_after && d->out_transfers >= d->unplug_after) {
        d->unplugged = true;
        emu_log(w, "usb unplug %s after %llu writes", d->serial,
                (unsigned long long)d->out_transfers);
        emu_log(w, "usb refused write: %s unplugged", d->serial);
        return LIBUSB_ERROR_NO_DEVICE;
    }
    d->out_transfers++;
    if (d->usb_error_on && d->out_transfers == d->usb_error_on) {
        emu_log(w, "usb error on write %llu", (unsigned long long)d->out_transfers);
        return LIBUSB_ERROR_IO;
    }
    return LIBUSB_SUCCESS;
}

/* Emulated time: every transfer starts on the next 125 us high-speed microframe. [I] */
static void next_microframe(struct emu_world *w)
{
    const uint64_t uframe_ps = 125000000ull;
    w->t_ps = (w->t_ps / uframe_ps + 1) * uframe_ps;
}

/* Fills an IN buffer: 2 status bytes at the start of every 512-byte packet, data after them;
 * no data -> just the 2 status bytes. Returns the bytes produced. */
static int fill_in(struct emu_port *p, unsigned char *buf, int len)
{
    const int pkt = 512;
    int out = 0;
    if (len < 2)
        return 0;
    do {
        buf[out] = 0x32;   /* [I] modem status, as pyftdi's virtual FTDI */
        buf[out + 1] = 0x60;
        out += 2;
        int room = pkt - 2;
        if (room > len - out)
            room = len - out;
        int take = (int)(p->rx_len < (size_t)room ? p->rx_len : (size_t)room);
        memcpy(buf + out, p->rx, (size_t)take);
        memmove(p->rx, p->rx + take, p->rx_len - (size_t)take);
        p->rx_len -= (size_t)take;
        out += take;
        if (take < pkt - 2)
            break;   /* short packet ends the transfer */
    } while (p->rx_len > 0 && len - out >= 2);
    return out;
}

static int port_of_ep(const struct emu_device *d, unsigned char ep)
{
    int p = (ep & 0x80) ? ((ep & 0x0F) - 1) / 2 : ((ep & 0x0F) / 2) - 1;
    return p >= 0 && p < d->nports ? p : -1;
}

EMU_EXPORT int LIBUSB_CALL libusb_bulk_transfer(libusb_device_handle *dev_handle,
                                               unsigned char endpoint, unsigned char *data,
                                               int length, int *actual_length,
                                               unsigned int timeout)
{
    (void)timeout;
    struct emu_world *w = emu_world_get();
    struct emu_device *d = dev_handle->dev->d;
    int pi = port_of_ep(d, endpoint);
    if (actual_length)
        *actual_length = 0;
    if (pi < 0)
        return LIBUSB_ERROR_PIPE;
    if (endpoint & 0x80) {
        if (d->unplugged)
            return LIBUSB_ERROR_NO_DEVICE;
        int n = fill_in(&d->port[pi], data, length);
        if (actual_length)
            *actual_length = n;
        return LIBUSB_SUCCESS;
    }
    int rc = out_fault(w, d);
    if (rc != LIBUSB_SUCCESS)
        return rc;
    next_microframe(w);
    emu_log(w, "usb write %s %c %d", d->serial, 'A' + pi, length);
    emu_port_write(w, d, pi, data, (size_t)length);
    if (actual_length)
        *actual_length = length;
    return LIBUSB_SUCCESS;
}

/* ---- asynchronous transfers ---------------------------------------------------------------- */

EMU_EXPORT struct libusb_transfer *LIBUSB_CALL libusb_alloc_transfer(int iso_packets)
{
    if (iso_packets < 0)
        return NULL;
    size_t sz = sizeof(struct emu_transfer) +
                (size_t)iso_packets * sizeof(struct libusb_iso_packet_descriptor);
    struct emu_transfer *e = calloc(1, sz);
    if (!e)
        return NULL;
    e->t.num_iso_packets = iso_packets;
    return &e->t;
}

EMU_EXPORT void LIBUSB_CALL libusb_free_transfer(struct libusb_transfer *transfer)
{
    if (!transfer)
        return;
    struct emu_transfer *e = emu_of(transfer);
    if (e->in_flight && transfer->dev_handle) {
        /* freed while queued (libftdi does so after a failed wait): unlink it first */
        struct libusb_context *ctx = transfer->dev_handle->dev->ctx;
        for (struct emu_transfer **pp = &ctx->pending; *pp; pp = &(*pp)->next)
            if (*pp == e) {
                *pp = e->next;
                break;
            }
    }
    if (transfer->flags & LIBUSB_TRANSFER_FREE_BUFFER)
        free(transfer->buffer);
    free(e);
}

EMU_EXPORT int LIBUSB_CALL libusb_submit_transfer(struct libusb_transfer *transfer)
{
    struct emu_transfer *e = emu_of(transfer);
    if (e->in_flight)
        return LIBUSB_ERROR_BUSY;
    if (!transfer->dev_handle || transfer->type != LIBUSB_TRANSFER_TYPE_BULK)
        return LIBUSB_ERROR_NOT_SUPPORTED;
    if (transfer->dev_handle->dev->d->unplugged)
        return LIBUSB_ERROR_NO_DEVICE;
    struct libusb_context *ctx = transfer->dev_handle->dev->ctx;
    e->in_flight = true;
    e->cancelled = false;
    e->next = NULL;
    struct emu_transfer **pp = &ctx->pending;
    while (*pp)
        pp = &(*pp)->next;
    *pp = e;
    return LIBUSB_SUCCESS;
}

EMU_EXPORT int LIBUSB_CALL libusb_cancel_transfer(struct libusb_transfer *transfer)
{
    struct emu_transfer *e = emu_of(transfer);
    if (!e->in_flight)
        return LIBUSB_ERROR_NOT_FOUND;
    e->cancelled = true;
    return LIBUSB_SUCCESS;
}

/* Completes one transfer; returns true if an IN transfer ran past its timeout. */
static bool complete_one(struct emu_world *w, struct emu_transfer *e)
{
    struct libusb_transfer *t = &e->t;
    struct emu_device *d = t->dev_handle->dev->d;
    int pi = port_of_ep(d, t->endpoint);
    t->actual_length = 0;
    if (e->cancelled) {
        t->status = LIBUSB_TRANSFER_CANCELLED;
    } else if (pi < 0) {
        t->status = LIBUSB_TRANSFER_STALL;
    } else if (t->endpoint & 0x80) {
        if (d->unplugged) {
            t->status = LIBUSB_TRANSFER_NO_DEVICE;
        } else {
            struct emu_port *p = &d->port[pi];
            if (p->rx_len == 0) {
                /* status-only packet after one latency period; give up after the timeout */
                e->idle_ms += p->latency_ms;
                if (t->timeout && e->idle_ms >= t->timeout) {
                    t->status = LIBUSB_TRANSFER_TIMED_OUT;
                    e->idle_ms = 0;
                    return true;
                }
                t->actual_length = fill_in(p, t->buffer, t->length);
                t->status = LIBUSB_TRANSFER_COMPLETED;
                return false;
            } else {
                e->idle_ms = 0;
            }
            t->actual_length = fill_in(p, t->buffer, t->length);
            t->status = LIBUSB_TRANSFER_COMPLETED;
        }
    } else {
        int rc = out_fault(w, d);
        if (rc == LIBUSB_ERROR_NO_DEVICE) {
            t->status = LIBUSB_TRANSFER_NO_DEVICE;
        } else if (rc != LIBUSB_SUCCESS) {
            t->status = LIBUSB_TRANSFER_ERROR;
        } else {
            next_microframe(w);
            emu_log(w, "usb write %s %c %d", d->serial, 'A' + pi, t->length);
            emu_port_write(w, d, pi, t->buffer, (size_t)t->length);
            t->actual_length = t->length;
            t->status = LIBUSB_TRANSFER_COMPLETED;
        }
    }
    return false;
}

static int handle_events(libusb_context *ctx, int *completed)
{
    struct emu_world *w = emu_world_get();
    if (!ctx)
        return LIBUSB_ERROR_INVALID_PARAM;
    if (completed && *completed)
        return LIBUSB_SUCCESS;
    /* Take the current queue; callbacks that resubmit land in the next round. libftdi's read
     * callback resubmits after every status-only packet whatever the status, so a read that
     * can never be satisfied would spin forever: once a transfer has waited its timeout, this
     * call returns LIBUSB_ERROR_TIMEOUT, which makes ftdi_transfer_data_done cancel and fail. */
    int rc = LIBUSB_SUCCESS;
    struct emu_transfer *batch = ctx->pending;
    ctx->pending = NULL;
    while (batch) {
        struct emu_transfer *e = batch;
        batch = e->next;
        e->next = NULL;
        e->in_flight = false;
        if (complete_one(w, e))
            rc = LIBUSB_ERROR_TIMEOUT;
        struct libusb_transfer *t = &e->t;
        uint8_t flags = t->flags;
        if (t->callback)
            t->callback(t);
        if (flags & LIBUSB_TRANSFER_FREE_TRANSFER)
            libusb_free_transfer(t);
    }
    return rc;
}

EMU_EXPORT int LIBUSB_CALL libusb_handle_events_timeout_completed(libusb_context *ctx,
                                                                 struct timeval *tv,
                                                                 int *completed)
{
    (void)tv;
    return handle_events(ctx, completed);
}

EMU_EXPORT int LIBUSB_CALL libusb_handle_events_timeout(libusb_context *ctx, struct timeval *tv)
{
    (void)tv;
    return handle_events(ctx, NULL);
}

/* ---- extras a program linked against libusb commonly calls -------------------------------- */

EMU_EXPORT const char *LIBUSB_CALL libusb_error_name(int errcode)
{
    switch (errcode) {
    case LIBUSB_SUCCESS: return "LIBUSB_SUCCESS";
    case LIBUSB_ERROR_IO: return "LIBUSB_ERROR_IO";
    case LIBUSB_ERROR_INVALID_PARAM: return "LIBUSB_ERROR_INVALID_PARAM";
    case LIBUSB_ERROR_ACCESS: return "LIBUSB_ERROR_ACCESS";
    case LIBUSB_ERROR_NO_DEVICE: return "LIBUSB_ERROR_NO_DEVICE";
    case LIBUSB_ERROR_NOT_FOUND: return "LIBUSB_ERROR_NOT_FOUND";
    case LIBUSB_ERROR_BUSY: return "LIBUSB_ERROR_BUSY";
    case LIBUSB_ERROR_TIMEOUT: return "LIBUSB_ERROR_TIMEOUT";
    case LIBUSB_ERROR_PIPE: return "LIBUSB_ERROR_PIPE";
    case LIBUSB_ERROR_NO_MEM: return "LIBUSB_ERROR_NO_MEM";
    default: return "LIBUSB_ERROR_OTHER";
    }
}

EMU_EXPORT const char *LIBUSB_CALL libusb_strerror(int errcode)
{
    return libusb_error_name(errcode);
}

/* Lets a test prove it runs on the emulator and not on the system libusb. */
EMU_EXPORT const char *bmsrig_usbemu_id(void)
{
    return "bmsrig-usbemu 1";
}
