/* SPDX-License-Identifier: ISC */
#ifndef SKIFF_TESTS_MMU_PROPERTY_H
#define SKIFF_TESTS_MMU_PROPERTY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * property_run - one random sequence of nevents events from seed.
 * Returns 0 if every check held; on failure -1, and with verbose the
 * seed and a minimised trace are printed to stderr.
 */
int property_run(uint64_t seed, int nevents, bool unsync, bool verbose);

#endif
