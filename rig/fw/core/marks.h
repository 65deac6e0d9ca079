/* marks.h: the instructions of the image the core must see itself, found by scanning the image
 * once (marks.c): MRS of a special register holding IPSR (Unicorn 2.0.1 knows nothing of the
 * core's exceptions, so it reads IPSR as 0), WFE and SEV (it runs both as NOPs). An address
 * marked where the image holds data is harmless: only an instruction executed there is looked
 * at. Owner: branch fw-speed. */
#ifndef BMSRIG_FW_MARKS_H
#define BMSRIG_FW_MARKS_H

#include <stddef.h>
#include <stdint.h>

enum insn_mark { MARK_NONE = 0, MARK_MRS_IPSR = 1, MARK_WFE = 2, MARK_SEV = 3 };

/* One byte per half-word of the image at base: an enum insn_mark, or for MARK_MRS_IPSR the
 * destination register in bits 7..4. Returns a malloc'd array of len / 2 bytes, or NULL. */
uint8_t *marks_scan(const uint8_t *image, size_t len);

#endif
