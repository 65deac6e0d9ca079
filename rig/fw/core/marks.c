/* marks.c: scans an image for the instructions the core handles itself (marks.h): MRS Rd of
 * IAPSR, xPSR, IPSR or IEPSR (SYSm 1, 3, 5, 7: the ones with the exception number), WFE and SEV
 * in their 16- and 32-bit encodings. [S] ARMv7-M A7.7.82, A7.7.158, B5.2.2 */
#include <stdlib.h>

#include "marks.h"

static uint16_t half(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

uint8_t *marks_scan(const uint8_t *image, size_t len)
{
    size_t n = len / 2;
    uint8_t *marks = calloc(n ? n : 1, 1);
    if (!marks)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        uint16_t hw1 = half(image + 2 * i);
        if (hw1 == 0xBF20u)
            marks[i] = MARK_WFE;
        else if (hw1 == 0xBF40u)
            marks[i] = MARK_SEV;
        if (i + 1 >= n)
            continue;
        uint16_t hw2 = half(image + 2 * i + 2);
        if (hw1 == 0xF3EFu && (hw2 & 0xF000u) == 0x8000u) {
            unsigned rd = (hw2 >> 8) & 0xFu, sysm = hw2 & 0xFFu;
            if (sysm < 8 && (sysm & 1u) && rd < 13)
                marks[i] = (uint8_t)(MARK_MRS_IPSR | rd << 4);
        } else if (hw1 == 0xF3AFu && hw2 == 0x8002u) {
            marks[i] = MARK_WFE;
        } else if (hw1 == 0xF3AFu && hw2 == 0x8004u) {
            marks[i] = MARK_SEV;
        }
    }
    return marks;
}
