/* SPDX-License-Identifier: ISC */
/*
 * hostile CASE: breaks one rule of the hvt ABI. The monitor must stop the
 * guest (exit 1, with a message naming the violation); if it lets the
 * guest go on, the guest says so and exits 3, which no test accepts.
 */
#include "hostile.h"

static const struct hostile_case cases[] = {
	{ "arg_outside", arg_outside },
	{ "arg_high", arg_high },
	{ "arg_end", arg_end },
	{ "puts_end", puts_end },
	{ "edge_ok", edge_ok },
	{ "puts_wrap", puts_wrap },
	{ "puts_huge", puts_huge },
	{ "walltime_end", walltime_end },
	{ "hypercall_0", hypercall_0 },
	{ "block_nodev", block_nodev },
	{ "net_nodev", net_nodev },
	{ "in_byte", in_byte },
	{ "in_long", in_long },
	{ "out_word", out_word },
	{ "out_byte", out_byte },
	{ "out_4ff", out_4ff },
	{ "out_509", out_509 },
	{ "ring_kick", ring_kick },
	{ "hlt", halt_instruction },
	{ "triple_fault", triple_fault },
	{ "cookie_end", cookie_end },
	{ "cookie_huge", cookie_huge },
	{ "halt_arg_outside", halt_arg_outside },
	{ "block_read_huge", block_read_huge },
	{ "block_write_huge", block_write_huge },
	{ "block_buf_end", block_buf_end },
	{ "block_arg_outside", block_arg_outside },
	{ "block_bad_handle", block_bad_handle },
};

int main(int argc, char **argv)
{
	size_t i;

	for (i = 0; argc == 2 && i < SKIFF_ARRAY_SIZE(cases); i++) {
		if (strcmp(argv[1], cases[i].name))
			continue;
		skiff_printf("hostile: %s\n", cases[i].name);
		cases[i].fn();
		skiff_printf("hostile: %s survived\n", cases[i].name);
		return 3;
	}
	skiff_puts("usage: hostile CASE\n");
	return 2;
}
