/*
 * recovery.h - the recovery_codes table (SPEC 9): per user, the keyed hashes
 * of its codes (crypto/recovery.h) and when each was used. A code is used by
 * one conditional UPDATE (used_at IS NULL in its WHERE clause), so two
 * requests racing with one code, on one instance or several, cannot both
 * use it: exactly one sees its row change.
 */
#ifndef INTEGRITY_DB_RECOVERY_H
#define INTEGRITY_DB_RECOVERY_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define RECOVERY_DB_HASH_LEN 32
#define RECOVERY_DB_SET_MAX 16 /* the most codes a user holds (10 per set) */

/* Replace user `user_id`'s codes with the n hashes of `hashes` (each
 * RECOVERY_DB_HASH_LEN bytes, n <= RECOVERY_DB_SET_MAX), in one transaction
 * (the stored routine recovery_codes_replace_v1). */
status recovery_replace(uint64_t user_id, const unsigned char *hashes, size_t n);

/* The hashes of user `user_id`'s unused codes into out (room for
 * RECOVERY_DB_SET_MAX), their number in *n (0 when none). */
status recovery_unused(uint64_t user_id, unsigned char *out, size_t *n);

/*
 * Complete a /verify-2fa with a recovery code: in one statement, only while
 * the code `hash` of user `user_id` is unused, the user has confirmed 2FA
 * and its challenge is open, mark the code used, close the challenge and
 * reset the failure count and the lock (as users_complete_login does).
 * ST_UNAUTHORIZED when that no longer holds (used, raced, challenge gone).
 */
status recovery_use_for_login(uint64_t user_id, const unsigned char *hash);

/* Mark the code `hash` of user `user_id` used, only if it is unused:
 * ST_UNAUTHORIZED when not (used, raced, not there). */
status recovery_use(uint64_t user_id, const unsigned char *hash);

/* Delete every code of user `user_id` (a 2FA reset). */
status recovery_clear(uint64_t user_id);

#endif
