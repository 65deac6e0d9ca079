/* flash.c: the flash interface: unlock sequence, half-word programming (a bit can only go
 * from 1 to 0), 1 KiB page erase, option bytes that read "read protection set". Operations
 * complete at once (BSY never seen set; EOP set). [S] RM0008 / PM0075 */
#include "flash.h"

#include <string.h>

#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define CR_PG 0x01u
#define CR_PER 0x02u
#define CR_STRT 0x40u
#define CR_LOCK 0x80u
#define SR_PGERR 0x04u
#define SR_WRPRTERR 0x10u
#define SR_EOP 0x20u

static int flash_read(void *state, uint32_t off, uint32_t *v)
{
    struct flash *f = state;
    switch (off) {
    case 0x00: *v = f->acr; return 1;
    case 0x0C: *v = f->sr; return 1;
    case 0x10: *v = f->cr; return 1;
    case 0x14: *v = f->ar; return 1;
    case 0x1C: *v = 0x03FFFFFEu; return 1; /* OBR: RDPRT set, user bytes erased [O] */
    case 0x20: *v = 0xFFFFFFFFu; return 1; /* WRPR: nothing write-protected */
    case 0x04: case 0x08: *v = 0; return 1; /* key registers read as 0 */
    default: return 0;
    }
}

static void erase_page(struct flash *f)
{
    uint32_t page = f->ar & ~0x3FFu;
    if (page >= FLASH_EEPROM_WINDOW && page < FLASH_EEPROM_WINDOW + FLASH_EEPROM_WINDOW_SIZE) {
        memset(f->window + (page - FLASH_EEPROM_WINDOW), 0xFF, 0x400);
        f->erased++;
    } else {
        f->sr |= SR_WRPRTERR; /* outside the modelled pages: refused, visibly */
    }
    f->sr |= SR_EOP;
}

static int flash_write(void *state, uint32_t off, uint32_t v)
{
    struct flash *f = state;
    switch (off) {
    case 0x00: f->acr = v & 0x3Fu; return 1;
    case 0x04:
        if (f->key_stage == 0 && v == KEY1)
            f->key_stage = 1;
        else if (f->key_stage == 1 && v == KEY2) {
            f->key_stage = 2;
            f->cr &= ~CR_LOCK;
        } else
            f->key_stage = 0;
        return 1;
    case 0x08: return 1; /* option byte key: option programming not modelled */
    case 0x0C: f->sr &= ~(v & (SR_PGERR | SR_WRPRTERR | SR_EOP)); return 1;
    case 0x10:
        if (f->cr & CR_LOCK)
            return 1;
        f->cr = v & 0x17F7u;
        if (v & CR_LOCK) {
            f->cr |= CR_LOCK;
            f->key_stage = 0;
        }
        if ((v & CR_PER) && (v & CR_STRT)) {
            erase_page(f);
            f->cr &= ~CR_STRT;
        }
        return 1;
    case 0x14: f->ar = v; return 1;
    default: return 0;
    }
}

void flash_init(struct flash *f, struct periph *out)
{
    memset(f, 0, sizeof *f);
    f->acr = 0x30u;
    f->cr = CR_LOCK;
    memset(f->window, 0xFF, sizeof f->window);
    *out = (struct periph){.name = "FLASH", .base = FLASH_IF_BASE, .size = 0x400,
                           .read = flash_read, .write = flash_write, .state = f};
}

uint32_t flash_window_read(const struct flash *f, uint32_t off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size && off + i < FLASH_EEPROM_WINDOW_SIZE; i++)
        v |= (uint32_t)f->window[off + i] << (8 * i);
    return v;
}

int flash_window_write(struct flash *f, uint32_t off, unsigned size, uint32_t value)
{
    if (!(f->cr & CR_PG) || (f->cr & CR_LOCK) || size != 2 || (off & 1u) ||
        off + 2 > FLASH_EEPROM_WINDOW_SIZE)
        return 0;
    uint16_t old = (uint16_t)(f->window[off] | f->window[off + 1] << 8);
    if (old != 0xFFFFu && (uint16_t)value != 0) {
        f->sr |= SR_PGERR; /* programming a non-erased half-word (other than to 0) [S] */
        return 1;
    }
    f->window[off] = (uint8_t)value;
    f->window[off + 1] = (uint8_t)(value >> 8);
    f->sr |= SR_EOP;
    f->programmed++;
    return 1;
}
