/* SPDX-License-Identifier: ISC */
/*
 * test_emulate: kmod/core/emulate.c built in userspace (as the MMU core
 * is) and checked instruction by instruction: MOV CR decoding with every
 * prefix that matters, the page-table stores with their lengths, values,
 * register and flag effects, INVLPG lengths, and refusals of what the
 * decoder does not know or what is cut short.
 */
#include <stdio.h>

#define TEST_HARNESS_IMPL
#include "../lib/test_harness.h"
#include "../../kmod/core/emulate.h"

#define CF	0x001ULL
#define ZF	0x040ULL
#define SF	0x080ULL

static struct skiff_mov_cr mc;

static int mov_cr(const u8 *b, int n, int mode)
{
	memset(&mc, 0, sizeof(mc));
	return skiff_decode_mov_cr(b, n, mode, &mc);
}

TEST(mov_cr_forms)
{
	static const u8 cr3_rax[] = { 0x0f, 0x22, 0xd8 };
	static const u8 rax_cr4[] = { 0x0f, 0x20, 0xe0 };
	static const u8 r11_to_cr0[] = { 0x41, 0x0f, 0x22, 0xc3 };
	static const u8 cr8_rex[] = { 0x44, 0x0f, 0x20, 0xc1 };
	static const u8 cr8_lock[] = { 0xf0, 0x0f, 0x22, 0xc2 };

	CHECK(!mov_cr(cr3_rax, 3, 64));
	CHECK(mc.cr == 3 && mc.gpr == SKIFF_RAX && mc.write && mc.len == 3);
	CHECK(!mov_cr(rax_cr4, 3, 64));
	CHECK(mc.cr == 4 && mc.gpr == SKIFF_RAX && !mc.write);
	CHECK(!mov_cr(r11_to_cr0, 4, 64));
	CHECK(mc.cr == 0 && mc.gpr == SKIFF_R11 && mc.write && mc.len == 4);
	CHECK(!mov_cr(cr8_rex, 4, 64));
	CHECK(mc.cr == 8 && mc.gpr == SKIFF_RCX && !mc.write);
	CHECK(!mov_cr(cr8_lock, 4, 32));
	CHECK(mc.cr == 8 && mc.gpr == SKIFF_RDX && mc.write);
	/* REX is an ordinary opcode (INC/DEC) outside 64-bit code. */
	CHECK(mov_cr(r11_to_cr0, 4, 32));
	CHECK(mov_cr(cr3_rax, 2, 64));
	CHECK(mov_cr((const u8 *)"\x0f\x21\xc0", 3, 64));	/* MOV DR */
}

static u64 gprs[SKIFF_NR_GPRS], rflags;
static struct skiff_store st;

static int store(const u8 *b, int n, int mode, u64 old)
{
	return skiff_decode_store(b, n, mode, old, gprs, &rflags, &st);
}

static void regs_reset(void)
{
	int i;

	for (i = 0; i < SKIFF_NR_GPRS; i++)
		gprs[i] = 0x1111111111111111ULL * (i + 1);
	rflags = 0x202;
}

TEST(mov_stores)
{
	static const u8 mov_rdi_rax[] = { 0x48, 0x89, 0x07 };
	static const u8 mov32_disp8[] = { 0x89, 0x4f, 0x08 };
	static const u8 mov_sib_disp32[] = { 0x48, 0x89, 0x84, 0x24,
					     0x00, 0x10, 0x00, 0x00 };
	static const u8 mov_riprel[] = { 0x48, 0x89, 0x05, 1, 2, 3, 4 };
	static const u8 mov_imm32_sx[] = { 0x48, 0xc7, 0x07,
					   0xfe, 0xff, 0xff, 0xff };
	static const u8 mov_ah[] = { 0x88, 0x27 };
	static const u8 mov_imm16[] = { 0x66, 0xc7, 0x07, 0x34, 0x12 };

	regs_reset();
	CHECK(!store(mov_rdi_rax, 3, 64, 0));
	CHECK(st.kind == SKIFF_STORE_MOV && st.size == 8 && st.len == 3);
	CHECK_EQ_U64(st.val, gprs[SKIFF_RAX]);
	CHECK(!store(mov32_disp8, 3, 64, 0));
	CHECK(st.size == 4 && st.len == 3);
	CHECK_EQ_U64(st.val, (u32)gprs[SKIFF_RCX]);
	CHECK(!store(mov_sib_disp32, 8, 64, 0));
	CHECK(st.len == 8 && st.size == 8);
	CHECK(!store(mov_riprel, 7, 64, 0));
	CHECK(st.len == 7);
	CHECK(!store(mov_imm32_sx, 7, 64, 0));
	CHECK_EQ_U64(st.val, 0xfffffffffffffffeULL);
	CHECK(st.len == 7);
	/* Without REX, register 4 of a byte op is AH. */
	CHECK(!store(mov_ah, 2, 64, 0));
	CHECK_EQ_U64(st.val, (gprs[SKIFF_RAX] >> 8) & 0xff);
	CHECK(!store(mov_imm16, 5, 64, 0));
	CHECK(st.size == 2 && st.len == 5);
	CHECK_EQ_U64(st.val, 0x1234);
	/* The same bytes in 32-bit code: a 32-bit store, no REX. */
	CHECK(!store(mov32_disp8, 3, 32, 0));
	CHECK(st.size == 4);
}

TEST(rmw_stores_set_flags)
{
	static const u8 and_imm8[] = { 0x48, 0x83, 0x27, 0xdf };
	static const u8 or_reg[] = { 0x48, 0x09, 0x0f };
	static const u8 sub_to_zero[] = { 0x48, 0x29, 0x0f };
	static const u8 adc[] = { 0x48, 0x83, 0x17, 0x01 };	/* /2: no */

	regs_reset();
	CHECK(!store(and_imm8, 4, 64, 0x8000000000000063ULL));
	CHECK(st.size == 8 && st.len == 4);
	CHECK_EQ_U64(st.val, 0x8000000000000043ULL);
	CHECK((rflags & (SF | ZF | CF)) == SF);
	CHECK(rflags & 0x200);			/* IF untouched */
	gprs[SKIFF_RCX] = 0x20;
	CHECK(!store(or_reg, 3, 64, 0x3));
	CHECK_EQ_U64(st.val, 0x23);
	CHECK(!(rflags & (SF | ZF | CF)));
	gprs[SKIFF_RCX] = 0x23;
	CHECK(!store(sub_to_zero, 3, 64, 0x23));
	CHECK_EQ_U64(st.val, 0);
	CHECK(rflags & ZF);
	CHECK(store(adc, 4, 64, 0));
}

TEST(xchg_and_cmpxchg)
{
	static const u8 xchg[] = { 0x48, 0x87, 0x0f };
	static const u8 cmpxchg[] = { 0xf0, 0x48, 0x0f, 0xb1, 0x0f };

	regs_reset();
	CHECK(!store(xchg, 3, 64, 0xabc));
	CHECK_EQ_U64(st.val, 0x2222222222222222ULL);
	CHECK_EQ_U64(gprs[SKIFF_RCX], 0xabc);
	/* Equal: memory takes RCX, ZF set, RAX kept. */
	regs_reset();
	CHECK(!store(cmpxchg, 5, 64, gprs[SKIFF_RAX]));
	CHECK_EQ_U64(st.val, gprs[SKIFF_RCX]);
	CHECK(rflags & ZF);
	CHECK_EQ_U64(gprs[SKIFF_RAX], 0x1111111111111111ULL);
	/* Different: memory keeps its value, RAX takes it, ZF clear. */
	regs_reset();
	CHECK(!store(cmpxchg, 5, 64, 0x77));
	CHECK_EQ_U64(st.val, 0x77);
	CHECK(!(rflags & ZF));
	CHECK_EQ_U64(gprs[SKIFF_RAX], 0x77);
	CHECK(st.len == 5);
}

TEST(refusals)
{
	static const u8 reg_dst[] = { 0x48, 0x89, 0xc7 };	/* mov rdi, rax */
	static const u8 cut_disp[] = { 0x89, 0x87, 0x00, 0x10 };
	static const u8 cut_imm[] = { 0xc7, 0x07, 0x01 };
	static const u8 push[] = { 0xff, 0x37 };
	static const u8 prefixes[15] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					 0x66, 0x66, 0x66 };

	regs_reset();
	CHECK(store(reg_dst, 3, 64, 0));
	CHECK(store(cut_disp, 4, 64, 0));
	CHECK(store(cut_imm, 3, 64, 0));
	CHECK(store(push, 2, 64, 0));
	CHECK(store(prefixes, 15, 64, 0));
	CHECK(store(reg_dst, 0, 64, 0));
	/* 16-bit addressing is not decoded. */
	CHECK(store((const u8 *)"\x89\x07", 2, 16, 0));
}

TEST(invlpg_lengths)
{
	CHECK(skiff_decode_invlpg((const u8 *)"\x0f\x01\x38", 3, 64) == 3);
	CHECK(skiff_decode_invlpg((const u8 *)"\x0f\x01\x7c\x24\x08", 5,
				  64) == 5);
	CHECK(skiff_decode_invlpg((const u8 *)"\x0f\x01\x3d\0\0\0\0", 7,
				  64) == 7);
	CHECK(skiff_decode_invlpg((const u8 *)"\x0f\x01\xf8", 3, 64) < 0);
	CHECK(skiff_decode_invlpg((const u8 *)"\x0f\x01\x30", 3, 64) < 0);
	CHECK(skiff_decode_invlpg((const u8 *)"\x0f\x01\xbc\x24", 4, 64) < 0);
}

TEST(mmio_access_sizes)
{
	CHECK(skiff_decode_mem_size((const u8 *)"\xa0\x00\x80", 3, 16) == 1);
	CHECK(skiff_decode_mem_size((const u8 *)"\x8b\x07", 2, 64) == 4);
	CHECK(skiff_decode_mem_size((const u8 *)"\x48\x8b\x07", 3, 64) == 8);
	CHECK(skiff_decode_mem_size((const u8 *)"\x66\x89\x07", 3, 64) == 2);
	CHECK(skiff_decode_mem_size((const u8 *)"\xc6\x07\x01", 3, 64) == 1);
	CHECK(skiff_decode_mem_size((const u8 *)"\x0f\xb7\x07", 3, 64) == 2);
	CHECK(skiff_decode_mem_size((const u8 *)"\x8b\xc7", 2, 64) < 0);
	CHECK(skiff_decode_mem_size((const u8 *)"\xff\x37", 2, 64) < 0);
}

static const struct test_case cases[] = {
	TEST_ENTRY(mov_cr_forms),
	TEST_ENTRY(mov_stores),
	TEST_ENTRY(rmw_stores_set_flags),
	TEST_ENTRY(xchg_and_cmpxchg),
	TEST_ENTRY(refusals),
	TEST_ENTRY(invlpg_lengths),
	TEST_ENTRY(mmio_access_sizes),
};

int main(void)
{
	return test_main("kmod-emulate", cases,
			 sizeof(cases) / sizeof(cases[0])) ? 1 : 0;
}
