/*
 * put_routine.c - prints the stored routine that PUT /products/<id> calls
 * (PRODUCTS_UPDATE_ROUTINE, db/products.h), one line, e.g. "product_update_v2".
 * bench/run.sh replays that CALL with mariadb-slap for PUT's database-alone
 * rate, and asks the built code for its name instead of reading db/products.c.
 *
 *   cmake --build build-release --target put_routine
 *   build-release/bench/put_routine
 */
#include <stdio.h>

#include "db/products.h"

int main(void)
{
    return puts(PRODUCTS_UPDATE_ROUTINE) == EOF;
}
