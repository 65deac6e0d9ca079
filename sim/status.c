/* status.c: text for the shared status codes. */
#include "sim/status.h"

const char *bmsrig_strerror(int status)
{
    switch (status) {
    case BMSRIG_OK: return "ok";
    case BMSRIG_ERR_ARG: return "invalid argument";
    case BMSRIG_ERR_IO: return "input/output error";
    case BMSRIG_ERR_TIMEOUT: return "timed out";
    case BMSRIG_ERR_PROTO: return "protocol error";
    case BMSRIG_ERR_STATE: return "invalid state";
    case BMSRIG_ERR_NOMEM: return "out of memory";
    case BMSRIG_ERR_RANGE: return "value out of range";
    case BMSRIG_ERR_PARSE: return "parse error";
    case BMSRIG_ERR_BUG: return "internal error";
    default: return "unknown status";
    }
}
