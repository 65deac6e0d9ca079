/* image.h: loading and validating a flat Cortex-M firmware image (vector table at its start). */
#ifndef BMSRIG_FW_IMAGE_H
#define BMSRIG_FW_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define FW_FLASH_BASE 0x08000000u
#define FW_FLASH_SIZE 0x20000u /* 128 KiB (STM32F103CB) [S] */
#define FW_SRAM_BASE 0x20000000u
#define FW_SRAM_SIZE 0x5000u   /* 20 KiB [S] */

struct fw_image {
    uint8_t *bytes; /* owned: fw_image_release */
    size_t len;
    uint32_t base;
    uint32_t initial_sp;
    uint32_t reset_vector;
    char name[256];
};

/* Loads from cfg path (or a copy of bytes named `name`) and checks that it is a Cortex-M vector
 * table at `base`. BMSRIG_ERR_IO / _ARG / _PARSE / _NOMEM with "IMAGE: reason" in err. */
int fw_image_load(const char *path, const uint8_t *bytes, size_t len, const char *name,
                  uint32_t base, struct fw_image *out, char *err, size_t errcap);
void fw_image_release(struct fw_image *img);

#endif
