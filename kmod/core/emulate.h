/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 decoding skiff needs (emulate.c), and the GPR order it and
 * the vendor backends share. Portable like kmod/mmu: the same file
 * builds into the module and into tests/kmod/test_emulate.
 */
#ifndef SKIFF_EMULATE_H
#define SKIFF_EMULATE_H

#include "../mmu/mmu_types.h"

/* GPRs in KVM's order (VCPU_REGS_RAX...): the vmrun code relies on it. */
enum skiff_reg {
	SKIFF_RAX, SKIFF_RCX, SKIFF_RDX, SKIFF_RBX,
	SKIFF_RSP, SKIFF_RBP, SKIFF_RSI, SKIFF_RDI,
	SKIFF_R8, SKIFF_R9, SKIFF_R10, SKIFF_R11,
	SKIFF_R12, SKIFF_R13, SKIFF_R14, SKIFF_R15,
	SKIFF_NR_GPRS,
};

struct skiff_mov_cr {
	u8 cr, gpr, len;
	bool write;		/* MOV CRn, reg */
};

enum skiff_store_kind {
	SKIFF_STORE_ALU,	/* ADD/OR/AND/SUB/XOR reg or imm into memory */
	SKIFF_STORE_MOV,
	SKIFF_STORE_XCHG,
	SKIFF_STORE_CMPXCHG,
};

struct skiff_store {
	enum skiff_store_kind kind;
	int size;		/* bytes written */
	int len;		/* instruction length */
	u64 src;		/* the source operand */
	u64 val;		/* what memory holds afterwards */
};

int skiff_decode_mov_cr(const u8 *b, int n, int mode,
			struct skiff_mov_cr *out);
int skiff_decode_store(const u8 *b, int n, int mode, u64 old,
		       u64 *gprs, u64 *rflags, struct skiff_store *st);
int skiff_decode_invlpg(const u8 *b, int n, int mode);
int skiff_decode_mem_size(const u8 *b, int n, int mode);

#endif
