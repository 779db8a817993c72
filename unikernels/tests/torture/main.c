/* SPDX-License-Identifier: ISC */
/*
 * torture [ROUNDS [SEED]]: ROUNDS random page-table operations (default
 * 2000) from a fixed seed, every access checked against the model. One
 * line before, one after; exit 0, or 3 with what differed (address,
 * expected, got, and the walk in the model and in memory).
 */
#include "torture.h"

#define DEFAULT_ROUNDS	2000
#define DEFAULT_SEED	0x5eed
#define CHECK_EVERY	128	/* rounds between full table checks */

struct stats stats;
unsigned long round_nr;
const char *op_name = "setup";
static uint64_t rng;

/* xorshift64*: small, and the same sequence everywhere. */
uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

unsigned int rnd_below(unsigned int n)
{
	return (unsigned int)((rnd() >> 32) % n);
}

bool chance(unsigned int n)
{
	return rnd_below(n) == 0;
}

static void dump_walk(const struct walk *w)
{
	const struct table *t;
	int d, i;

	for (d = 0; d < w->depth; d++) {
		t = w->t[d];
		i = w->idx[d];
		skiff_printf("torture:   level %d entry %d of table 0x%lx: model 0x%lx, memory 0x%lx\n",
			     t->level, i, (unsigned long)(uintptr_t)t->hw,
			     (unsigned long)t->want[i],
			     (unsigned long)((volatile uint64_t *)t->hw)[i]);
	}
}

void fail(const struct walk *w, const char *fmt, ...)
{
	va_list ap;

	skiff_printf("torture: FAIL in round %lu (%s, address space %d): ",
		     round_nr, op_name, active_as);
	va_start(ap, fmt);
	skiff_vprintf(fmt, ap);
	va_end(ap);
	if (w)
		dump_walk(w);
	skiff_exit(3);
}

static bool parse_args(int argc, char **argv, uint64_t *rounds,
		       uint64_t *seed)
{
	*rounds = DEFAULT_ROUNDS;
	*seed = DEFAULT_SEED;
	if (argc > 3)
		return false;
	if (argc > 1 && (!skiff_parse_u64(argv[1], rounds) || !*rounds))
		return false;
	/* xorshift never leaves 0. */
	if (argc > 2 && (!skiff_parse_u64(argv[2], seed) || !*seed))
		return false;
	return true;
}

int main(int argc, char **argv)
{
	uint64_t rounds, seed;

	if (!parse_args(argc, argv, &rounds, &seed)) {
		skiff_puts("usage: torture [ROUNDS [SEED]]\n");
		return 2;
	}
	rng = seed;
	nx_enable();
	ring3_init();
	pt_init();
	as_switch(0);
	skiff_printf("torture: %lu rounds, seed 0x%lx, %d address spaces, nx %s\n",
		     (unsigned long)rounds, (unsigned long)seed, NR_AS,
		     nx_on ? "on" : "off");
	for (round_nr = 1; round_nr <= rounds; round_nr++) {
		run_op();
		if (!(round_nr % CHECK_EVERY))
			tables_check();
	}
	op_name = "final check";
	tables_check();
	skiff_printf("torture: %lu ops, %lu probes, %lu faults, %d address spaces: ok\n",
		     stats.ops, stats.probes, stats.faults, NR_AS);
	return 0;
}
