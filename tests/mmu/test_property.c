/* SPDX-License-Identifier: ISC */
/*
 * Runs the random event sequences of property.c in batches; each batch
 * of seeds is one test. MMU_SEQS sets the number of sequences (default
 * 100000), MMU_SEED_BASE the first seed, SEED replays a single seed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define TEST_HARNESS_IMPL
#include "../lib/test_harness.h"
#include "property.h"

#define EVENTS	24
#define BATCHES	20

static unsigned long long seqs = 100000, base = 1;
static int batch_no;

static void run_batch(void)
{
	unsigned long long per = seqs / BATCHES, i;
	unsigned long long first = base + batch_no * per;
	int fails = 0;

	for (i = 0; i < per && fails < 3; i++) {
		bool unsync = (first + i) % 4 != 3;

		if (property_run(first + i, EVENTS, unsync, true)) {
			fails++;
			test_failures_in_case++;
		}
	}
	batch_no++;
}

TEST(batch)
{
	run_batch();
}

static const struct test_case cases[BATCHES] = {
	TEST_ENTRY(batch), TEST_ENTRY(batch), TEST_ENTRY(batch),
	TEST_ENTRY(batch), TEST_ENTRY(batch), TEST_ENTRY(batch),
	TEST_ENTRY(batch), TEST_ENTRY(batch), TEST_ENTRY(batch),
	TEST_ENTRY(batch), TEST_ENTRY(batch), TEST_ENTRY(batch),
	TEST_ENTRY(batch), TEST_ENTRY(batch), TEST_ENTRY(batch),
	TEST_ENTRY(batch), TEST_ENTRY(batch), TEST_ENTRY(batch),
	TEST_ENTRY(batch), TEST_ENTRY(batch),
};

int main(void)
{
	const char *e = getenv("MMU_SEQS"), *b = getenv("MMU_SEED_BASE");
	const char *one = getenv("SEED");
	struct timespec t0, t1;
	int rc;

	if (one) {
		unsigned long long s = strtoull(one, NULL, 0);

		return property_run(s, EVENTS, s % 4 != 3, true) ? 1 : 0;
	}
	if (e)
		seqs = strtoull(e, NULL, 0);
	if (b)
		base = strtoull(b, NULL, 0);
	if (seqs < BATCHES)
		seqs = BATCHES;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = test_main("mmu-property", cases, BATCHES);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("mmu-property: %llu sequences of %d events from seed %llu in %.1f s\n",
	       seqs / BATCHES * BATCHES, EVENTS, base,
	       (double)(t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return rc;
}
