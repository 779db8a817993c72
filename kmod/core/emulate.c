// SPDX-License-Identifier: GPL-2.0
/*
 * The little of x86 decoding and emulation skiff needs, vendor-neutral
 * (the SVM and VMX backends reach it through kmod/core/exit.c) and only
 * where the CPU does not decode for us (no DecodeAssists/NRIPS, as
 * QEMU's SVM; VMX never decodes a faulting store):
 *
 * - MOV to and from CR0/CR3/CR4/CR8 (intercepted control registers),
 *   the length of an INVLPG, and the size of an MMIO access;
 * - the stores guests use on their own page tables, for shadow
 *   paging's writes to write-protected guest tables (MMU_RET_EMULATE):
 *   MOV, XCHG, CMPXCHG and the RMW forms of ADD/OR/AND/SUB/XOR, with
 *   a register or an immediate source.
 *
 * The memory operand's address is never computed: a page-table write
 * faults at the operand itself, so the fault address is the address.
 * Only the instruction's length, operand size and source are decoded.
 * Anything else is refused, and the caller unprotects the page and
 * lets the guest retry (docs/kmod.md says why both exist).
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#else
#include <errno.h>
#endif

#include "emulate.h"

/* The arithmetic flags of RFLAGS (CF PF AF ZF SF OF). */
#define FLAGS_ARITH	0x8d5ULL

struct insn {
	const u8 *b;
	int n, pos;
	int mode;		/* 16, 32 or 64: the code segment's */
	bool opsize16;		/* 0x66 */
	bool lock;		/* 0xf0 */
	u8 rex;
	u8 op, op2;		/* op2: the byte after 0x0f */
	u8 mod, reg, rm;
};

static int next_byte(struct insn *in, u8 *out)
{
	if (in->pos >= in->n || in->pos >= 15)
		return -EINVAL;
	*out = in->b[in->pos++];
	return 0;
}

static int decode_prefixes(struct insn *in)
{
	u8 c;

	for (;;) {
		if (next_byte(in, &c))
			return -EINVAL;
		switch (c) {
		case 0x66:
			in->opsize16 = true;
			continue;
		case 0xf0:
			in->lock = true;
			continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
		case 0x64: case 0x65: case 0x67: case 0xf2: case 0xf3:
			continue;
		}
		if (in->mode == 64 && (c & 0xf0) == 0x40) {
			in->rex = c;
			if (next_byte(in, &c))
				return -EINVAL;
		}
		in->op = c;
		if (c == 0x0f)
			return next_byte(in, &in->op2);
		return 0;
	}
}

/* ModRM, then SIB and displacement, which are skipped over. */
static int decode_modrm(struct insn *in)
{
	u8 m, sib;
	int disp;

	if (next_byte(in, &m))
		return -EINVAL;
	in->mod = m >> 6;
	in->reg = ((m >> 3) & 7) | ((in->rex & 4) << 1);
	in->rm = (m & 7) | ((in->rex & 1) << 3);
	if (in->mod == 3)
		return 0;
	if (in->mode == 16)
		return -EINVAL;		/* 16-bit addressing: not here */
	disp = in->mod == 1 ? 1 : in->mod == 2 ? 4 : 0;
	if ((m & 7) == 4) {
		if (next_byte(in, &sib))
			return -EINVAL;
		if (in->mod == 0 && (sib & 7) == 5)
			disp = 4;
	} else if (in->mod == 0 && (m & 7) == 5) {
		disp = 4;		/* disp32, or RIP-relative */
	}
	in->pos += disp;
	return in->pos <= in->n ? 0 : -EINVAL;
}

/*
 * skiff_decode_mov_cr - MOV CRn, reg or MOV reg, CRn at b[0..n), in
 * code of mode (16, 32 or 64 bits).
 * AMD's LOCK MOV CR0 is CR8. Returns 0 and fills out, or -EINVAL.
 */
int skiff_decode_mov_cr(const u8 *b, int n, int mode,
			struct skiff_mov_cr *out)
{
	struct insn in = { .b = b, .n = n, .mode = mode };

	if (decode_prefixes(&in) || in.op != 0x0f ||
	    (in.op2 != 0x20 && in.op2 != 0x22))
		return -EINVAL;
	/* The mod bits are ignored: it is always a register operand. */
	if (next_byte(&in, &in.mod))
		return -EINVAL;
	out->cr = ((in.mod >> 3) & 7) | ((in.rex & 4) << 1);
	if (in.lock && out->cr == 0)
		out->cr = 8;
	out->gpr = (in.mod & 7) | ((in.rex & 1) << 3);
	out->write = in.op2 == 0x22;
	out->len = in.pos;
	return 0;
}

static u64 size_mask(int size)
{
	return size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* A GPR as the instruction names it: AH..BH without REX, at size. */
static u64 read_reg(const u64 *gprs, const struct insn *in, u8 r, int size)
{
	if (size == 1 && !in->rex && r >= 4 && r < 8)
		return (gprs[r - 4] >> 8) & 0xff;
	return gprs[r] & size_mask(size);
}

static void write_reg(u64 *gprs, const struct insn *in, u8 r, int size,
		      u64 val)
{
	if (size == 1 && !in->rex && r >= 4 && r < 8) {
		gprs[r - 4] = (gprs[r - 4] & ~0xff00ULL) | ((val & 0xff) << 8);
		return;
	}
	if (size == 4)
		gprs[r] = (u32)val;	/* 32-bit results zero-extend */
	else
		gprs[r] = (gprs[r] & ~size_mask(size)) | (val & size_mask(size));
}

/*
 * One ALU op on the host CPU itself, at the instruction's size, so the
 * guest gets exactly the flags its own CPU would have set. None of
 * these ops reads a flag, so the host's own flags go in unchanged.
 */
#define ALU_OP(insn_, sfx_, type_, a_, b_, fl_)				\
	asm(insn_ sfx_ " %[s], %[d]; pushf; pop %[f]"			\
	    : [d] "+r"(*(type_ *)&(a_)), [f] "=r"(fl_)			\
	    : [s] "r"((type_)(b_)) : "cc")

#define ALU_SIZED(insn_, a_, b_, fl_, size_)				\
	do {								\
		if ((size_) == 1)					\
			ALU_OP(insn_, "b", u8, a_, b_, fl_);		\
		else if ((size_) == 2)					\
			ALU_OP(insn_, "w", u16, a_, b_, fl_);		\
		else if ((size_) == 4)					\
			ALU_OP(insn_, "l", u32, a_, b_, fl_);		\
		else							\
			ALU_OP(insn_, "q", u64, a_, b_, fl_);		\
	} while (0)

/* ADD OR ADC SBB AND SUB XOR CMP by their /digit; ADC, SBB, CMP: no. */
static int alu(int digit, u64 *dst, u64 src, int size, unsigned long *fl)
{
	switch (digit) {
	case 0:
		ALU_SIZED("add", *dst, src, *fl, size);
		return 0;
	case 1:
		ALU_SIZED("or", *dst, src, *fl, size);
		return 0;
	case 4:
		ALU_SIZED("and", *dst, src, *fl, size);
		return 0;
	case 5:
		ALU_SIZED("sub", *dst, src, *fl, size);
		return 0;
	case 6:
		ALU_SIZED("xor", *dst, src, *fl, size);
		return 0;
	default:
		return -EINVAL;
	}
}

static int read_imm(struct insn *in, int size, u64 *imm)
{
	u64 v = 0;
	int i;

	if (in->pos + size > in->n)
		return -EINVAL;
	for (i = 0; i < size; i++)
		v |= (u64)in->b[in->pos + i] << (8 * i);
	in->pos += size;
	/* imm8 and imm32 sign-extend to the operand size. */
	if (size == 1)
		v = (u64)(s64)(s8)v;
	else if (size == 4)
		v = (u64)(s64)(s32)v;
	*imm = v;
	return 0;
}

static int op_size(const struct insn *in, u8 byte_op)
{
	if (byte_op)
		return 1;
	if (in->rex & 8)
		return 8;
	/* 0x66 flips 32 to 16 bits, and 16 to 32 in 16-bit code. */
	return (in->mode == 16) != in->opsize16 ? 2 : 4;
}

/* The source operand and what to do with it, by opcode. */
static int decode_store(struct insn *in, const u64 *gprs,
			struct skiff_store *st, int *digit)
{
	u8 op = in->op == 0x0f ? in->op2 : in->op;
	bool two = in->op == 0x0f;
	int isz;

	*digit = -1;
	if (!two && op <= 0x33 && (op & 7) <= 1 && ((op >> 3) == 0 ||
	    (op >> 3) == 1 || (op >> 3) == 4 || (op >> 3) == 5 ||
	    (op >> 3) == 6)) {
		st->size = op_size(in, !(op & 1));
		*digit = op >> 3;
		st->src = read_reg(gprs, in, in->reg, st->size);
		return 0;
	}
	if (!two && (op == 0x88 || op == 0x89 || op == 0x86 || op == 0x87)) {
		st->size = op_size(in, !(op & 1));
		st->src = read_reg(gprs, in, in->reg, st->size);
		st->kind = op >= 0x88 ? SKIFF_STORE_MOV : SKIFF_STORE_XCHG;
		return 0;
	}
	if (!two && (op == 0xc6 || op == 0xc7) && in->reg == 0) {
		st->size = op_size(in, op == 0xc6);
		isz = st->size == 1 ? 1 : st->size == 2 ? 2 : 4;
		st->kind = SKIFF_STORE_MOV;
		return read_imm(in, isz, &st->src);
	}
	if (!two && (op == 0x80 || op == 0x81 || op == 0x83)) {
		st->size = op_size(in, op == 0x80);
		isz = op == 0x81 ? (st->size == 2 ? 2 : 4) : 1;
		*digit = in->reg & 7;
		return read_imm(in, isz, &st->src);
	}
	if (two && (op == 0xb0 || op == 0xb1)) {
		st->size = op_size(in, op == 0xb0);
		st->src = read_reg(gprs, in, in->reg, st->size);
		st->kind = SKIFF_STORE_CMPXCHG;
		return 0;
	}
	return -EINVAL;
}

/*
 * skiff_decode_store - the store at b[0..n), in code of mode (16, 32
 * or 64 bits), to memory holding old (its
 * current value at the fault address): the value to write and the
 * register and flag effects, applied to gprs and *rflags. Returns 0,
 * or -EINVAL for anything this decoder does not know.
 */
int skiff_decode_store(const u8 *b, int n, int mode, u64 old,
		       u64 *gprs, u64 *rflags, struct skiff_store *st)
{
	struct insn in = { .b = b, .n = n, .mode = mode };
	unsigned long fl = 0;	/* what ALU_OP's pushf leaves */
	int digit;

	memset(st, 0, sizeof(*st));
	if (decode_prefixes(&in) || decode_modrm(&in) ||
	    in.mod == 3 || decode_store(&in, gprs, st, &digit))
		return -EINVAL;
	old &= size_mask(st->size);
	st->val = st->src;
	if (digit >= 0) {
		st->val = old;
		if (alu(digit, &st->val, st->src, st->size, &fl))
			return -EINVAL;
		*rflags = (*rflags & ~FLAGS_ARITH) | (fl & FLAGS_ARITH);
	} else if (st->kind == SKIFF_STORE_XCHG) {
		write_reg(gprs, &in, in.reg, st->size, old);
	} else if (st->kind == SKIFF_STORE_CMPXCHG) {
		u64 acc = gprs[SKIFF_RAX] & size_mask(st->size), cmp = acc;

		ALU_SIZED("cmp", cmp, old, fl, st->size);
		*rflags = (*rflags & ~FLAGS_ARITH) | (fl & FLAGS_ARITH);
		if (acc != old) {
			st->val = old;
			write_reg(gprs, &in, SKIFF_RAX, st->size, old);
		}
	}
	st->len = in.pos;
	return 0;
}

/* skiff_decode_invlpg - the length of the INVLPG at b[0..n), or -EINVAL. */
int skiff_decode_invlpg(const u8 *b, int n, int mode)
{
	struct insn in = { .b = b, .n = n, .mode = mode };

	if (decode_prefixes(&in) || in.op != 0x0f || in.op2 != 0x01 ||
	    decode_modrm(&in) || in.mod == 3 || (in.reg & 7) != 7)
		return -EINVAL;
	return in.pos;
}

/*
 * skiff_decode_mem_size - the size of the memory access of the MOV-like
 * instruction at b[0..n) (for KVM_EXIT_MMIO's len): MOV to and from
 * memory, MOV of an immediate, MOVZX/MOVSX and the ALU forms the store
 * decoder knows. Returns the size, or -EINVAL.
 */
int skiff_decode_mem_size(const u8 *b, int n, int mode)
{
	struct insn in = { .b = b, .n = n, .mode = mode };
	u8 op;

	if (decode_prefixes(&in))
		return -EINVAL;
	op = in.op == 0x0f ? in.op2 : in.op;
	if (in.op != 0x0f && op >= 0xa0 && op <= 0xa3)
		return op_size(&in, !(op & 1));		/* MOV AL/eAX, moffs */
	if (decode_modrm(&in) || in.mod == 3)
		return -EINVAL;
	if (in.op == 0x0f)
		return (op == 0xb6 || op == 0xbe) ? 1 :
		       (op == 0xb7 || op == 0xbf) ? 2 : -EINVAL;
	if ((op >= 0x88 && op <= 0x8b) || op == 0xc6 || op == 0xc7 ||
	    (op <= 0x33 && (op & 7) <= 3) || (op >= 0x80 && op <= 0x83 &&
	    op != 0x82))
		return op_size(&in, !(op & 1));
	return -EINVAL;
}
