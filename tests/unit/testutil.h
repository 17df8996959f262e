/*
 * testutil.h - small checks shared by the unit tests (static inline, so each
 * test program takes only what it uses). Not a test itself: CMake builds
 * tests/unit/test_*.c only.
 */
#ifndef INTEGRITY_TESTUTIL_H
#define INTEGRITY_TESTUTIL_H

#include <string.h>

/* True when `s` is 8-4-4-4-12 lower-case hex, version nibble 4, variant 8/9/a/b. */
static inline int is_uuid4(const char *s)
{
    size_t i;

    if (strlen(s) != 36)
        return 0;
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

#endif
