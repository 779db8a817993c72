/* SPDX-License-Identifier: ISC */
/*
 * The heap: free RAM from the image's _end (not boot info's kernel_end,
 * which leaves out .bss) up to the stack reserve under mem_size. A bump
 * allocator is all the sample guests need.
 */
#include "sdk_internal.h"

static uintptr_t heap_next;

uintptr_t skiff_heap_start(void)
{
	return ((uintptr_t)_end + SKIFF_PAGE_SIZE - 1) & ~(SKIFF_PAGE_SIZE - 1);
}

uintptr_t skiff_heap_end(void)
{
	return skiff_boot_info()->mem_size - SKIFF_STACK_SIZE;
}

void *skiff_alloc(size_t size)
{
	uintptr_t p;

	if (!heap_next)
		heap_next = skiff_heap_start();
	p = (heap_next + 15) & ~(uintptr_t)15;
	if (size > skiff_heap_end() || p > skiff_heap_end() - size)
		return NULL;
	heap_next = p + size;
	return (void *)p;
}
