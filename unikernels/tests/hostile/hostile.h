/* SPDX-License-Identifier: ISC */
/* Shared by the hostile guests: a table of named cases. */
#ifndef HOSTILE_H
#define HOSTILE_H

#include "skiff_sdk.h"

struct hostile_case {
	const char *name;
	void (*fn)(void);
};

/* cases.c */
void arg_outside(void);
void arg_high(void);
void arg_end(void);
void puts_end(void);
void edge_ok(void);
void puts_wrap(void);
void puts_huge(void);
void walltime_end(void);
void hypercall_0(void);
void block_nodev(void);
void net_nodev(void);
void in_byte(void);
void in_long(void);
void out_word(void);
void out_byte(void);
void out_4ff(void);
void out_509(void);
void ring_kick(void);
void halt_instruction(void);
void triple_fault(void);
void cookie_end(void);
void cookie_huge(void);
void halt_arg_outside(void);

/* block_cases.c: need a block device named "disk" */
void block_read_huge(void);
void block_write_huge(void);
void block_buf_end(void);
void block_arg_outside(void);
void block_bad_handle(void);

static inline uint64_t guest_mem_size(void)
{
	return skiff_boot_info()->mem_size;
}

#endif /* HOSTILE_H */
