/* SPDX-License-Identifier: ISC */
/*
 * memory: every page from the heap start (_end) up to the stack reserve
 * below mem_size must read as zero (the ABI promises zero-filled RAM),
 * then hold a per-address pattern written over the whole range. Exits 3
 * on the first bad word.
 */
#include "skiff_sdk.h"

#define WORDS_PER_PAGE (SKIFF_PAGE_SIZE / sizeof(uint64_t))

static uint64_t pattern(uintptr_t addr)
{
	return (uint64_t)addr * 0x9e3779b97f4a7c15ULL ^ 0x5a5a5a5a5a5a5a5aULL;
}

static int bad(const char *what, uintptr_t addr)
{
	skiff_printf("memory: %s at 0x%lx\n", what, (unsigned long)addr);
	return 3;
}

int main(int argc, char **argv)
{
	uintptr_t start = skiff_heap_start(), end = skiff_heap_end();
	uintptr_t page;
	volatile uint64_t *w;
	size_t i;

	for (page = start; page < end; page += SKIFF_PAGE_SIZE) {
		w = (volatile uint64_t *)page;
		for (i = 0; i < WORDS_PER_PAGE; i++)
			if (w[i] != 0)
				return bad("non-zero memory", (uintptr_t)&w[i]);
		for (i = 0; i < WORDS_PER_PAGE; i++)
			w[i] = pattern((uintptr_t)&w[i]);
	}
	for (page = start; page < end; page += SKIFF_PAGE_SIZE) {
		w = (volatile uint64_t *)page;
		for (i = 0; i < WORDS_PER_PAGE; i++)
			if (w[i] != pattern((uintptr_t)&w[i]))
				return bad("pattern mismatch", (uintptr_t)&w[i]);
	}
	skiff_printf("memory: 0x%lx-0x%lx: %lu pages zeroed and verified\n",
		     (unsigned long)start, (unsigned long)end,
		     (unsigned long)((end - start) / SKIFF_PAGE_SIZE));
	return 0;
}
