/* status.h: the one status code set every bmsrig module returns, and its text. */
#ifndef BMSRIG_SIM_STATUS_H
#define BMSRIG_SIM_STATUS_H

/* Functions that can fail return int: BMSRIG_OK (0) or one of the negative codes below.
 * Results go out through pointer parameters. */
enum bmsrig_status {
    BMSRIG_OK = 0,
    BMSRIG_ERR_ARG = -1,     /* a caller passed an invalid argument */
    BMSRIG_ERR_IO = -2,      /* an operating-system or device call failed */
    BMSRIG_ERR_TIMEOUT = -3, /* nothing arrived in time */
    BMSRIG_ERR_PROTO = -4,   /* a malformed frame, bad checksum, or protocol violation */
    BMSRIG_ERR_STATE = -5,   /* the call is not valid in the object's current state */
    BMSRIG_ERR_NOMEM = -6,   /* an allocation failed */
    BMSRIG_ERR_RANGE = -7,   /* a value lies outside what the model or device accepts */
    BMSRIG_ERR_PARSE = -8,   /* an input file or text could not be parsed */
    BMSRIG_ERR_BUG = -9,     /* an internal invariant broke */
};

/* Returns a static, human-readable text for a status code (never NULL). */
const char *bmsrig_strerror(int status);

#endif
