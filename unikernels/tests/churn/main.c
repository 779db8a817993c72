/* SPDX-License-Identifier: ISC */
/*
 * churn MIB RATE_MIB_S [SECONDS]: a guest that dirties memory at a set
 * rate and checks all of it continuously, for live migration tests and
 * benchmarks.
 *
 * It fills a working set of MIB MiB (every page written once, unpaced),
 * then writes pages over it at RATE_MIB_S MiB/s (0: none), paced by the
 * monotonic clock in slices of a few milliseconds, and verifies the set
 * on a rolling basis at one full pass a second, in the time the writes
 * leave. Each page is also checked just before it is rewritten. Once a second it prints
 * "churn N ok: W pages written, V verified, P passes" (N = 1, 2, ...).
 * With SECONDS it makes a last full pass after that long and exits 0.
 *
 * Exit 3 on any page that does not hold what it should (the page, the
 * word, what was expected and what was found) or if the monotonic clock
 * goes backwards; 2 on a usage error.
 */
#include "churn.h"

#define SLICE_NS	(5 * 1000 * 1000ULL)
#define BATCH		256	/* pages per step, to interleave the work */
#define MAX_RATE_MIB_S	65536

struct churn {
	struct churn_set set;
	uint64_t rate;		/* page writes per second */
	uint64_t end_ns;	/* 0: run until killed */
	uint64_t start;		/* when pacing began */
	uint64_t last_now;
	uint64_t paced;		/* writes since start */
	uint64_t write_skip;	/* writes given up when far behind */
	struct churn_cursor vcur;	/* the rolling verification's */
	uint64_t verified;	/* rolling verifications since start */
	uint64_t verify_skip;
	uint64_t passes;	/* full rolling passes completed */
	uint64_t tick;
	uint64_t next_tick;
};

static int usage(const char *why)
{
	skiff_printf("churn: %s\n"
		     "usage: churn MIB RATE_MIB_S [SECONDS]\n", why);
	return 2;
}

static void corrupt(const struct churn_fault *f, const struct churn *c)
{
	skiff_printf("churn: CORRUPTION: page %lu (0x%lx) word %u: "
		     "expected 0x%016lx (generation %lu), found 0x%016lx "
		     "after %lu page writes\n",
		     (unsigned long)f->page,
		     (unsigned long)((uintptr_t)c->set.base +
				     f->page * SKIFF_PAGE_SIZE),
		     f->word, (unsigned long)f->expected,
		     (unsigned long)f->gen, (unsigned long)f->found,
		     (unsigned long)c->set.writes);
	skiff_exit(3);
}

static uint64_t clock_now(struct churn *c)
{
	uint64_t now = skiff_monotonic_ns();

	if (now < c->last_now) {
		skiff_printf("churn: monotonic clock went backwards: "
			     "%lu ns after %lu ns\n",
			     (unsigned long)now, (unsigned long)c->last_now);
		skiff_exit(3);
	}
	c->last_now = now;
	return now;
}

/*
 * How many of a pace of per_sec a second are due after elapsed ns, less
 * done and skip. A backlog over a tenth of a second is given up (added
 * to *skip): a guest slowed down (or paused) does not burst afterwards.
 */
static uint64_t due(uint64_t elapsed, uint64_t per_sec, uint64_t done,
		    uint64_t *skip)
{
	uint64_t target = elapsed / 1000 * per_sec / 1000000 - *skip;
	uint64_t n = target > done ? target - done : 0;

	if (n > per_sec / 10 + BATCH) {
		*skip += n - BATCH;
		n = BATCH;
	}
	return n < BATCH ? n : BATCH;
}

static bool step_writes(struct churn *c, uint64_t elapsed)
{
	struct churn_fault f;
	uint64_t n = due(elapsed, c->rate, c->paced, &c->write_skip);

	if (!churn_write(&c->set, n, &f))
		corrupt(&f, c);
	c->paced += n;
	return c->rate && due(elapsed, c->rate, c->paced, &c->write_skip);
}

static bool step_verify(struct churn *c, uint64_t elapsed)
{
	struct churn_fault f;
	uint64_t npages = c->set.npages;
	uint64_t n = due(elapsed, npages, c->verified, &c->verify_skip);

	if (!churn_verify(&c->set, &c->vcur, n, &f))
		corrupt(&f, c);
	c->verified += n;
	/* A batch (at most BATCH) never exceeds npages (MIB >= 1). */
	if (n && c->vcur.pos < n)
		c->passes++;
	return due(elapsed, npages, c->verified, &c->verify_skip) != 0;
}

static void full_pass(struct churn *c)
{
	struct churn_cursor cur = { 0, 0 };
	struct churn_fault f;

	if (!churn_verify(&c->set, &cur, c->set.npages, &f))
		corrupt(&f, c);
}

static void step_tick(struct churn *c, uint64_t now)
{
	if (now < c->next_tick)
		return;
	c->tick++;
	skiff_printf("churn %lu ok: %lu pages written, %lu verified, "
		     "%lu passes\n", (unsigned long)c->tick,
		     (unsigned long)c->set.writes, (unsigned long)c->verified,
		     (unsigned long)c->passes);
	/* Against a deadline, so ticks do not drift; no bursts after a
	 * long pause (the counter stays consecutive either way). */
	c->next_tick += SKIFF_NSEC_PER_SEC;
	if (c->next_tick <= now)
		c->next_tick = now + SKIFF_NSEC_PER_SEC;
}

static int run(struct churn *c)
{
	uint64_t now, elapsed, wait;

	for (;;) {
		now = clock_now(c);
		elapsed = now - c->start;
		step_tick(c, now);
		if (c->end_ns && elapsed >= c->end_ns)
			return 0;
		/* The dirty rate first: the rolling pass gets the time left
		 * (each page is checked before it is rewritten anyway). */
		if (step_writes(c, elapsed) || step_verify(c, elapsed))
			continue;
		wait = c->next_tick - now < SLICE_NS ? c->next_tick - now :
						       SLICE_NS;
		skiff_sleep_ns(wait);
	}
}

static int parse(struct churn *c, int argc, char **argv, uint64_t *mib)
{
	uint64_t rate, seconds = 0;

	if (argc < 3 || argc > 4)
		return usage("wrong number of arguments");
	if (!skiff_parse_u64(argv[1], mib) || *mib == 0 || *mib > 4096)
		return usage("MIB: a number of MiB from 1 to 4096");
	if (!skiff_parse_u64(argv[2], &rate) || rate > MAX_RATE_MIB_S)
		return usage("RATE_MIB_S: MiB a second, 0 to 65536");
	if (argc == 4 && (!skiff_parse_u64(argv[3], &seconds) ||
			  seconds == 0 || seconds > 1000000))
		return usage("SECONDS: from 1 to 1000000");
	c->rate = rate * (1024 * 1024 / SKIFF_PAGE_SIZE);
	c->end_ns = seconds * SKIFF_NSEC_PER_SEC;
	return 0;
}

int main(int argc, char **argv)
{
	static struct churn c;
	struct churn_fault f;
	uint64_t mib, npages, t0;
	uintptr_t base = skiff_heap_start();
	int err;

	err = parse(&c, argc, argv, &mib);
	if (err)
		return err;
	npages = mib * (1024 * 1024 / SKIFF_PAGE_SIZE);
	if (npages > (skiff_heap_end() - base) / SKIFF_PAGE_SIZE) {
		skiff_printf("churn: %lu MiB do not fit in %lu KiB of heap\n",
			     (unsigned long)mib,
			     (unsigned long)((skiff_heap_end() - base) / 1024));
		return 2;
	}
	churn_set_init(&c.set, (void *)base, npages);
	skiff_printf("churn: %lu MiB (%lu pages at 0x%lx) at %lu MiB/s\n",
		     (unsigned long)mib, (unsigned long)npages,
		     (unsigned long)base, (unsigned long)(c.rate / 256));
	t0 = clock_now(&c);
	if (!churn_write(&c.set, npages, &f))
		corrupt(&f, &c);
	c.start = clock_now(&c);
	c.next_tick = c.start + SKIFF_NSEC_PER_SEC;
	skiff_printf("churn: filled in %lu ms\n",
		     (unsigned long)((c.start - t0) / 1000000));
	run(&c);
	full_pass(&c);
	skiff_printf("churn: done: %lu s, %lu pages written, %lu passes, "
		     "all verified\n", (unsigned long)(c.end_ns /
						       SKIFF_NSEC_PER_SEC),
		     (unsigned long)c.set.writes, (unsigned long)c.passes);
	return 0;
}
