/*
 * status.c - names for the program-wide status codes (see status.h).
 */
#include "common/status.h"

const char *status_name(status s)
{
    switch (s) {
#define STATUS_NAME(code, name, meaning)                                                           \
    case ST_##code:                                                                                \
        return name;
        STATUS_MAP(STATUS_NAME)
#undef STATUS_NAME
    }
    return "unknown";
}
