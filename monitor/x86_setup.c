/* SPDX-License-Identifier: ISC */
/*
 * The x86-64 machine a hvt guest starts in (HVT_ABI.md §2.2 and §4):
 * identity-mapped long mode, page tables and GDT in low memory, the
 * zero page and the tables themselves unmapped, boot info read-only.
 */
#include <string.h>

#include "monitor.h"

#define PTE_P		(1ull << 0)
#define PTE_RW		(1ull << 1)
#define PTE_PS		(1ull << 7)

#define CR0_PE		(1ull << 0)
#define CR0_NE		(1ull << 5)
#define CR0_WP		(1ull << 16)
#define CR0_PG		(1ull << 31)
#define CR4_PAE		(1ull << 5)
#define CR4_OSFXSR	(1ull << 9)
#define CR4_OSXMMEXCPT	(1ull << 10)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)

#define GDT_CODE	0x00AF99000000FFFFull
#define GDT_DATA	0x00CF93000000FFFFull
#define SEL_CODE	0x08
#define SEL_DATA	0x10

void x86_build_page_tables(struct guest_mem *m)
{
	uint64_t *pml4 = guest_ptr(m, X86_PML4_GPA);
	uint64_t *pdpt = guest_ptr(m, X86_PDPT_GPA);
	uint64_t *pd = guest_ptr(m, X86_PD_GPA);
	uint64_t *pt = guest_ptr(m, X86_PT_GPA);
	uint64_t a;
	int i;

	memset(pml4, 0, X86_PT_GPA + GUEST_PAGE_SIZE - X86_PML4_GPA);
	pml4[0] = X86_PDPT_GPA | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (X86_PD_GPA + i * GUEST_PAGE_SIZE) | PTE_P | PTE_RW;
	pd[0] = X86_PT_GPA | PTE_P | PTE_RW;
	/* First 2 MiB in 4 KiB pages: nothing below boot info, then RO. */
	for (a = X86_BOOT_INFO_GPA; a < GUEST_LARGE_PAGE; a += GUEST_PAGE_SIZE)
		pt[a / GUEST_PAGE_SIZE] = a | PTE_P |
			(a >= HVT_GUEST_MIN_BASE ? PTE_RW : 0);
	for (a = GUEST_LARGE_PAGE; a < m->size; a += GUEST_LARGE_PAGE)
		pd[a / GUEST_LARGE_PAGE] = a | PTE_P | PTE_RW | PTE_PS;
}

void x86_build_gdt(struct guest_mem *m)
{
	uint64_t *gdt = guest_ptr(m, X86_GDT_GPA);

	gdt[0] = 0;
	gdt[1] = GDT_CODE;
	gdt[2] = GDT_DATA;
}

static void set_segment(struct kvm_segment *s, uint16_t sel, uint8_t type,
			bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->present = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

static void setup_sregs(struct kvm_sregs *sr)
{
	set_segment(&sr->cs, SEL_CODE, 9, true);
	set_segment(&sr->ss, SEL_DATA, 3, false);
	sr->ds = sr->es = sr->fs = sr->gs = sr->ss;
	memset(&sr->tr, 0, sizeof(sr->tr));
	sr->tr.type = 11;			/* busy 64-bit TSS */
	sr->tr.present = 1;
	memset(&sr->ldt, 0, sizeof(sr->ldt));
	sr->ldt.unusable = 1;
	sr->gdt.base = X86_GDT_GPA;
	sr->gdt.limit = 3 * 8 - 1;
	sr->idt.base = 0;
	sr->idt.limit = 0;
	sr->cr0 = CR0_PE | CR0_NE | CR0_WP | CR0_PG;
	sr->cr3 = X86_PML4_GPA;
	sr->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sr->efer = EFER_LME | EFER_LMA;
}

int x86_setup_vcpu(struct kvm_backend *kvm, const struct guest_mem *m,
		   uint64_t entry)
{
	struct kvm_sregs sr;
	struct kvm_regs r;

	if (kvm_set_cpuid(kvm) || kvm_get_sregs(kvm, &sr))
		return -1;
	setup_sregs(&sr);
	if (kvm_set_sregs(kvm, &sr))
		return -1;
	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rsp = m->size - 8;
	r.rdi = X86_BOOT_INFO_GPA;
	r.rflags = 0x2;
	return kvm_set_regs(kvm, &r);
}
