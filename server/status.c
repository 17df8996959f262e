/*
 * status.c - names for the program-wide status codes (see include/status.h).
 */
#include "status.h"

const char *status_name(status s)
{
    switch (s) {
    case ST_OK:
        return "ok";
    case ST_NOT_FOUND:
        return "not_found";
    case ST_CONFLICT:
        return "conflict";
    case ST_INVALID:
        return "invalid";
    case ST_UNAUTHORIZED:
        return "unauthorized";
    case ST_LOCKED:
        return "locked";
    case ST_PRECONDITION:
        return "precondition_failed";
    case ST_UNAVAILABLE:
        return "unavailable";
    case ST_BUSY:
        return "busy";
    case ST_NOMEM:
        return "out_of_memory";
    case ST_INTERNAL:
        return "internal";
    }
    return "unknown";
}
