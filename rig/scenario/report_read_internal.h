/* report_read_internal.h: the JSON reader that report_read.c maps a report from (report_json.c)
 * and the sticky error both fill; private to rig/scenario/report_read*.c and report_json.c,
 * nothing else includes it. */
#ifndef BMSRIG_RIG_SCENARIO_REPORT_READ_INTERNAL_H
#define BMSRIG_RIG_SCENARIO_REPORT_READ_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
    enum jtype t;
    bool b;
    char *s;            /* J_STR: the decoded string; J_NUM: the number's text */
    struct jv *v;       /* J_ARR, J_OBJ: the elements or member values */
    char **k;           /* J_OBJ: member names */
    size_t n;
};

struct jparse {
    const char *p, *end;
    const char *start;
    char *err;
    size_t errcap;
    bool failed;
};

/* The first error only: sets *failed and writes "WHERE: message" to err; a no-op once *failed. */
void report_read_failv(bool *failed, char *err, size_t errcap, const char *where, const char *fmt,
                       va_list ap) __attribute__((format(printf, 5, 0)));

/* The parser (report_json.c): a value at j->p, nested at most `depth` deep so far; false on
 * error (jfail's text in j->err). jfree frees what a value owns (not the value itself). */
void report_json_fail(struct jparse *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_json_free(struct jv *v);
void report_json_skip_ws(struct jparse *j);
bool report_json_parse_value(struct jparse *j, struct jv *v, int depth);

#endif
