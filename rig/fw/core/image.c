/* image.c: reads a flat firmware image and refuses what cannot be a Cortex-M image at its base. */
#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_file(const char *path, struct fw_image *img, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errcap, "%s: cannot open firmware image: %s", path, strerror(errno));
        return BMSRIG_ERR_IO;
    }
    size_t cap = FW_FLASH_SIZE + 1;
    img->bytes = malloc(cap);
    if (!img->bytes) {
        fclose(f);
        return BMSRIG_ERR_NOMEM;
    }
    img->len = fread(img->bytes, 1, cap, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errcap, "%s: cannot read firmware image", path);
        return BMSRIG_ERR_IO;
    }
    return BMSRIG_OK;
}

static int validate(struct fw_image *img, char *err, size_t errcap)
{
    const char *n = img->name;
    if (img->base < FW_FLASH_BASE || img->base >= FW_FLASH_BASE + FW_FLASH_SIZE ||
        (img->base & 0x7Fu) != 0) {
        snprintf(err, errcap, "%s: base address 0x%08x is not a 128-byte aligned flash address "
                 "(0x%08x..0x%08x)", n, (unsigned)img->base, (unsigned)FW_FLASH_BASE,
                 (unsigned)(FW_FLASH_BASE + FW_FLASH_SIZE - 1));
        return BMSRIG_ERR_ARG;
    }
    if (img->len == 0) {
        snprintf(err, errcap, "%s: firmware image is empty", n);
        return BMSRIG_ERR_PARSE;
    }
    if (img->len > FW_FLASH_BASE + FW_FLASH_SIZE - img->base) {
        snprintf(err, errcap, "%s: firmware image (%zu bytes) does not fit in flash from 0x%08x",
                 n, img->len, (unsigned)img->base);
        return BMSRIG_ERR_PARSE;
    }
    /* The smallest useful table: SP, reset, NMI, HardFault ... up to SysTick (16 words). */
    if (img->len < 16 * 4) {
        snprintf(err, errcap, "%s: truncated firmware image (%zu bytes, a Cortex-M vector table "
                 "alone is 64)", n, img->len);
        return BMSRIG_ERR_PARSE;
    }
    img->initial_sp = le32(img->bytes);
    img->reset_vector = le32(img->bytes + 4);
    if (img->initial_sp < FW_SRAM_BASE || img->initial_sp > FW_SRAM_BASE + FW_SRAM_SIZE ||
        (img->initial_sp & 3u) != 0) {
        snprintf(err, errcap, "%s: not a Cortex-M vector table: initial SP 0x%08x is not a "
                 "word-aligned SRAM address (0x%08x..0x%08x)", n, (unsigned)img->initial_sp,
                 (unsigned)FW_SRAM_BASE, (unsigned)(FW_SRAM_BASE + FW_SRAM_SIZE));
        return BMSRIG_ERR_PARSE;
    }
    if ((img->reset_vector & 1u) == 0) {
        snprintf(err, errcap, "%s: not a Cortex-M vector table: reset vector 0x%08x is not a "
                 "Thumb address (bit 0 clear)", n, (unsigned)img->reset_vector);
        return BMSRIG_ERR_PARSE;
    }
    uint32_t entry = img->reset_vector & ~1u;
    if (entry < img->base + 16 * 4 || entry >= img->base + img->len) {
        snprintf(err, errcap, "%s: reset vector 0x%08x lies outside the image (0x%08x..0x%08x): "
                 "wrong base address or not a firmware image", n, (unsigned)img->reset_vector,
                 (unsigned)img->base, (unsigned)(img->base + img->len - 1));
        return BMSRIG_ERR_ARG;
    }
    return BMSRIG_OK;
}

int fw_image_load(const char *path, const uint8_t *bytes, size_t len, const char *name,
                  uint32_t base, struct fw_image *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    out->base = base;
    snprintf(out->name, sizeof out->name, "%s", path ? path : (name ? name : "<memory>"));
    int rc;
    if (path) {
        rc = read_file(path, out, err, errcap);
    } else {
        out->bytes = malloc(len ? len : 1);
        rc = out->bytes ? BMSRIG_OK : BMSRIG_ERR_NOMEM;
        if (rc == BMSRIG_OK && len)
            memcpy(out->bytes, bytes, len);
        out->len = len;
    }
    if (rc == BMSRIG_OK)
        rc = validate(out, err, errcap);
    if (rc != BMSRIG_OK)
        fw_image_release(out);
    return rc;
}

void fw_image_release(struct fw_image *img)
{
    free(img->bytes);
    img->bytes = NULL;
    img->len = 0;
}
