/* link_marks.c: the names bus logs give the marks of a frame on the wire (enum link_mark).
 * Pure data and text. Split from link.c, functions verbatim. */
#include "rig/line/link.h"

#include <stdio.h>

static const char *const mark_names[LINK_MARK_COUNT] = {
    "esc_tx_open", "bms_tx_open", "corrupt_checksum", "truncate", "garbage",
    "reply_delay", "bit_errors", "bad_checksum", "bad_length", "truncated",
};

const char *link_mark_name(unsigned bit)
{
    return bit < LINK_MARK_COUNT ? mark_names[bit] : NULL;
}

const char *link_marks_format(unsigned marks, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    if (marks == 0) {
        snprintf(buf, cap, "ok");
        return buf;
    }
    size_t used = 0;
    for (unsigned bit = 0; bit < LINK_MARK_COUNT; bit++) {
        if (!(marks & (1u << bit)))
            continue;
        int w = snprintf(buf + used, cap - used, "%s%s", used ? "+" : "", mark_names[bit]);
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
    return buf;
}
