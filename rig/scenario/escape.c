/* escape.c: scenario text made safe for its readers: UTF-8 validation, the XML and JSON
 * escapers of the report writers, and the one sanitiser for text that goes onto a line (TAP,
 * the terminal). They share the UTF-8 helpers, so they live together (rig/scenario/escape.h). */
#include "rig/scenario/escape.h"

#include <stdint.h>
#include <stdio.h>


/* ---- escaping ----------------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0 if it is not one (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF; U+FFFE/U+FFFF are not XML characters
 * either). Scenario strings are arbitrary Lua bytes; XML and JSON readers require UTF-8. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if (p[k] < 0x80 || p[k] > 0xBF)
            return 0;
    if (c == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF))
        return 0;
    return n;
}

/* Writes the non-ASCII sequence at *pp (or '?' for a malformed byte); leaves *pp on its last
 * byte, for the caller's p++. */
static void put_utf8(FILE *o, const unsigned char **pp)
{
    size_t n = utf8_len(*pp);
    if (n == 0) {
        fputc('?', o);
        return;
    }
    fwrite(*pp, 1, n, o);
    *pp += n - 1;
}

/* The code point of the well-formed n-byte sequence at p if it is one a line-oriented reader
 * may take for a control or a line break: C1 controls U+0080..U+009F (U+0085 is NEL, a line
 * break in YAML 1.1 and XML 1.1) and U+2028/U+2029 (line and paragraph separators); else 0. */
static unsigned breaking_cp(const unsigned char *p, size_t n)
{
    if (n == 2 && p[0] == 0xC2 && p[1] <= 0x9F)
        return p[1];
    if (n == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
        return 0x2000u + (unsigned)(p[2] - 0x80);
    return 0;
}

/* Like put_utf8, but C1 controls and U+2028/2029 go out as an XML character reference (xml)
 * or a JSON/YAML \u escape instead of raw. */
static void put_utf8_esc(FILE *o, const unsigned char **pp, bool xml)
{
    size_t n = utf8_len(*pp);
    unsigned cp = n ? breaking_cp(*pp, n) : 0;
    if (!cp) {
        put_utf8(o, pp);
        return;
    }
    if (xml)
        fprintf(o, "&#x%x;", cp);
    else
        fprintf(o, "\\u%04x", cp);
    *pp += n - 1;
}


void escape_xml(FILE *o, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        case '\'': fputs("&apos;", o); break;
        case '\n': fputs("&#10;", o); break;
        case '\t': fputs("&#9;", o); break;
        default:
            /* XML 1.0 forbids most control characters even as references. */
            if (*p < 0x20)
                fputc('?', o);
            else if (*p >= 0x80)
                put_utf8_esc(o, &p, true);
            else
                fputc(*p, o);
        }
    }
}

/* Text content (newlines kept literally). */
void escape_xml_text(FILE *o, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '&')
            fputs("&amp;", o);
        else if (*p == '<')
            fputs("&lt;", o);
        else if (*p == '>')
            fputs("&gt;", o);
        else if (*p < 0x20 && *p != '\n' && *p != '\t')
            fputc('?', o);
        else if (*p >= 0x80)
            put_utf8_esc(o, &p, true);
        else
            fputc(*p, o);
    }
}

void escape_json_str(FILE *o, const char *s)
{
    fputc('"', o);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", o); break;
        case '\\': fputs("\\\\", o); break;
        case '\n': fputs("\\n", o); break;
        case '\r': fputs("\\r", o); break;
        case '\t': fputs("\\t", o); break;
        default:
            if (*p < 0x20 || *p == 0x7F)
                fprintf(o, "\\u%04x", *p);
            else if (*p >= 0x80)
                put_utf8_esc(o, &p, false);
            else
                fputc(*p, o);
        }
    }
    fputc('"', o);
}


/* The one sanitiser for text that goes onto a line (TAP descriptions, and the progress and
 * summary lines a terminal shows): line breaks (CR, and LF unless keep_lf) and tabs become
 * spaces, and every other control character (C0, DEL, C1, U+2028/2029) and malformed UTF-8 a
 * '?': nothing in a name or message can start a new line or drive a terminal (ESC, CSI, OSC).
 * tap: '#' and '\' escaped as well (a TAP line has no other escapes). At most len bytes of s
 * are read (SIZE_MAX: up to its NUL); a sequence cut by len counts as malformed. Returns the
 * bytes written. */
size_t escape_put_safe(FILE *o, const char *s, size_t len, bool keep_lf, bool tap)
{
    size_t out = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    for (size_t i = 0; i < len && p[i]; i++) {
        unsigned char c = p[i];
        if (tap && (c == '#' || c == '\\')) {
            fputc('\\', o);
            fputc(c, o);
            out += 2;
        } else if (c == '\n' && keep_lf) {
            fputc('\n', o);
            out++;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            fputc(' ', o);
            out++;
        } else if (c < 0x20 || c == 0x7F) {
            fputc('?', o);
            out++;
        } else if (c >= 0x80) {
            size_t n = utf8_len(p + i);
            if (n > len - i)
                n = 0;   /* cut by len */
            if (n == 0 || breaking_cp(p + i, n)) {
                fputc('?', o);
                out++;
            } else {
                fwrite(p + i, 1, n, o);
                out += n;
            }
            if (n)
                i += n - 1;
        } else {
            fputc(c, o);
            out++;
        }
    }
    return out;
}


size_t report_put_safe(FILE *o, const char *s, size_t len, bool keep_newlines)
{
    return escape_put_safe(o, s, len, keep_newlines, false);
}
