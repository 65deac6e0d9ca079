/* escape.h: scenario text (arbitrary Lua bytes) made safe for its readers. report_put_safe is
 * for everyone who shows scenario names and messages on a terminal; the escapers below it are
 * for rig/scenario/'s writers (report.c, result.c). */
#ifndef BMSRIG_RIG_ESCAPE_H
#define BMSRIG_RIG_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes at most len bytes of s (SIZE_MAX: up to its NUL; NULL writes nothing) for a terminal
 * or a line-oriented reader, with the TAP writer's rule: CR and tabs (and LF unless
 * keep_newlines) become spaces; every other control character (C0 such as ESC and BEL, DEL, C1
 * such as U+009B CSI, U+2028/2029) and malformed UTF-8 become '?'. Returns the bytes written.
 * For the human-readable lines that show scenario names and messages (bmsrig run's progress
 * and summary). */
size_t report_put_safe(FILE *out, const char *s, size_t len, bool keep_newlines);

/* The sanitiser behind report_put_safe and the TAP descriptions: as report_put_safe, and with
 * tap '#' and '\' escaped as well. Returns the bytes written. */
size_t escape_put_safe(FILE *o, const char *s, size_t len, bool keep_lf, bool tap);

/* An XML attribute value (s NULL = ""): markup, quotes, LF and tab as references; other C0
 * controls '?'; malformed UTF-8 '?'; C1 and U+2028/2029 as character references. */
void escape_xml(FILE *o, const char *s);
/* XML text content: as escape_xml, but LF and tab kept literally and quotes unescaped. */
void escape_xml_text(FILE *o, const char *s);
/* A JSON string with its quotes (s NULL = ""); also a valid YAML double-quoted scalar. */
void escape_json_str(FILE *o, const char *s);

#endif
