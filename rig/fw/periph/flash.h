/* flash.h: the flash interface (FLASH_ACR/KEYR/SR/CR/AR/OBR, RM0008 section 3.3 / PM0075) and the
 * flash-EEPROM pages it programs and erases. */
#ifndef BMSRIG_FW_FLASH_H
#define BMSRIG_FW_FLASH_H

#include <stdint.h>

#include "periph.h"

#define FLASH_IF_BASE 0x40022000u
/* The 4 KiB of flash around the EEPROM pages (0x0800F800) are served by this model, so the
 * firmware's programming reaches them; the rest of flash is plain read-only memory. */
#define FLASH_EEPROM_WINDOW 0x0800F000u
#define FLASH_EEPROM_WINDOW_SIZE 0x1000u

struct flash {
    uint32_t acr, sr, cr, ar;
    int key_stage;    /* 0 locked, 1 first key seen, 2 unlocked */
    uint8_t window[FLASH_EEPROM_WINDOW_SIZE];
    uint64_t programmed, erased; /* half-words programmed, pages erased */
};

/* `out` describes the interface registers for the core's dispatch table. */
void flash_init(struct flash *f, struct periph *out);
/* Access to the EEPROM window (offset from FLASH_EEPROM_WINDOW). A write programs a half-word
 * when CR.PG is set (returns 1), else it is refused (returns 0: the core reports a fault). */
uint32_t flash_window_read(const struct flash *f, uint32_t off, unsigned size);
int flash_window_write(struct flash *f, uint32_t off, unsigned size, uint32_t value);

#endif
