// SPDX-License-Identifier: GPL-2.0
/*
 * Guest paging on VMX, as kmod/svm/paging.c has it for SVM: the
 * guest's paging state for the MMU core's walker, instruction fetch
 * through it (the access size of an MMIO exit is decoded from the
 * instruction, kmod/core/emulate.c), and shadow paging (tdp=0) over
 * the MMU core.
 *
 * With shadow paging the hardware runs on the core's tables: MOV to
 * and from CR3 exits, CR0 and CR4 have guest/host masks and read
 * shadows (vmcs.c) so the guest reads its own values while the
 * hardware has PG, WP and PAE on and the core's root in CR3, and
 * writes to PE, PG, WP, AM or any CR4 bit exit. A long-mode guest runs on
 * the core's 4-level root; any other guest in the CPU's legacy PAE
 * mode on a 4-entry PDPT copied from it before each entry (VM entry
 * loads PDPTEs from there without EPT), as SVM's backend does. #PF
 * (every one: the error-code mask and match are 0) and INVLPG exit to
 * the core; its flushes become INVVPID at the next entry (cpu.c).
 * KVM's vmx.c gives a shadow-paged guest CR0.TS alone; here TS, MP,
 * EM and ET are the guest's (none of them changes a translation).
 *
 * Real mode needs unrestricted guest, which needs EPT: without it the
 * guest runs in virtual-8086 mode (vmcs.c sets that up) and the
 * privileged instructions real-mode code uses, port I/O among them,
 * fault with #GP at CPL 3 and are emulated here; exceptions and INT n
 * are delivered the real-mode way, through the guest's IVT.
 */
#include <linux/mm.h>
#include <asm/unaligned.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>

#include "vmx.h"

/* vmx_guest_paging - the guest's paging state, as the MMU core wants it. */
static void vmx_guest_paging(struct skiff_vcpu *v, struct mmu_paging *pg)
{
	struct vmx_vcpu *x = to_vmx(v);

	skiff_guest_paging(pg, x->cr0, x->cr3, x->cr4, x->efer);
}

/* The code size of the guest's current code segment: 16, 32 or 64. */
int vmx_code_mode(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	u32 ar = x->seg[VMX_CS].ar;

	if (!(x->cr0 & X86_CR0_PE))
		return 16;
	if ((x->efer & EFER_LMA) && (ar & VMX_AR_L_MASK))
		return 64;
	return (ar & VMX_AR_DB_MASK) ? 32 : 16;
}

/*
 * vmx_fetch - up to 15 instruction bytes at CS:RIP through the guest's
 * own tables. Returns how many could be read (0: none). Under vm->lock.
 */
int vmx_fetch(struct skiff_vcpu *v, u8 *buf)
{
	struct vmx_vcpu *x = to_vmx(v);
	u64 va = x->seg[VMX_CS].base + x->rip;
	struct mmu_paging pg;

	if (vmx_code_mode(v) != 64)
		va = (u32)va;
	vmx_guest_paging(v, &pg);
	return skiff_fetch(v, &pg, va, VMX_AR_DPL(x->seg[VMX_SS].ar) == 3, buf);
}

/*
 * vmx_shadow_load - after the guest's CR0, CR3, CR4 or EFER changed
 * (shadow paging): the core's paging mode, which syncs unsync pages
 * and flushes, as a CR3 load does. -1 if a PAE guest's PDPTEs are
 * invalid (#GP for MOV CR).
 */
int vmx_shadow_load(struct skiff_vcpu *v)
{
	struct mmu_paging pg;
	int r;

	to_vmx(v)->paging_stale = false;
	vmx_guest_paging(v, &pg);
	mutex_lock(&v->vm->lock);
	r = pg.mode == MMU_MODE_PAE ? mmu_load_pdptes(v->vm->mmu, &pg) : 0;
	if (!r)
		r = mmu_set_paging(v->vm->mmu, &pg) ? -1 : 0;
	mutex_unlock(&v->vm->lock);
	return r;
}

static int vmx_triple_fault(struct skiff_vcpu *v)
{
	vmx_reset(v);
	v->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

/* Push a word on the real-mode stack (SS:SP; linear is physical). */
static int vmx_rm_push(struct skiff_vcpu *v, u16 val)
{
	struct vmx_vcpu *x = to_vmx(v);
	u16 sp = x->rsp - 2;

	x->rsp = (x->rsp & ~0xffffULL) | sp;
	return mmu_emulate_write(v->vm->mmu, (u32)(x->seg[VMX_SS].base + sp),
				 val, 2);
}

/*
 * vmx_vm86_deliver - the event in x->inject, delivered as real mode
 * does (SDM vol. 3, 21.1.4): FLAGS, CS and IP pushed, CS:IP from the
 * IVT, IF, TF and AC cleared. A vector past the IVT's limit is #GP,
 * #GP's is #DF, #DF's a triple fault. Returns 1, or 0 for userspace.
 */
static int vmx_vm86_deliver(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	u32 type = x->inject & INTR_INFO_INTR_TYPE_MASK;
	u8 vec = x->inject & INTR_INFO_VECTOR_MASK;
	u64 ip = x->rip;
	u32 ent = 0;
	int r;

	x->inject = 0;
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		ip += x->inject_len;
	while (vec * 4 + 3 > x->idtr_limit) {
		if (vec == X86_TRAP_DF)
			return vmx_triple_fault(v);
		vec = vec == X86_TRAP_GP ? X86_TRAP_DF : X86_TRAP_GP;
		ip = x->rip;
	}
	mutex_lock(&v->vm->lock);
	r = skiff_guest_read(v->vm, (u32)(x->idtr_base + vec * 4), &ent, 4);
	if (!r)
		r = vmx_rm_push(v, x->rflags);
	if (!r)
		r = vmx_rm_push(v, x->seg[VMX_CS].sel);
	if (!r)
		r = vmx_rm_push(v, ip);
	mutex_unlock(&v->vm->lock);
	if (r)
		return skiff_emulation_failed(v);
	x->rflags &= ~(X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_AC);
	x->seg[VMX_CS].sel = ent >> 16;
	x->seg[VMX_CS].base = (ent >> 16) << 4;
	x->rip = ent & 0xffff;
	x->interruptibility &= ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
	return 1;
}

/*
 * vmx_shadow_pre_run - before an entry with shadow paging: the paging
 * mode if it changed, a vm86 event delivered, and the root: the
 * core's 4-level root for a long-mode guest, else a PDPT of its first
 * four entries (skiff_shadow_root).
 * Returns 1 to enter, 0 for userspace, or -errno.
 */
int vmx_shadow_pre_run(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	int r;

	if (x->paging_stale && vmx_shadow_load(v))
		return -EINVAL;
	if (vmx_vm86(x) && (x->inject & INTR_INFO_VALID_MASK)) {
		r = vmx_vm86_deliver(v);
		if (r <= 0)
			return r;
	}
	x->hw_cr3 = skiff_shadow_root(v, x->efer & EFER_LMA, x->pae_root,
				      x->pae_root_pa);
	return x->hw_cr3 ? 1 : -ENOMEM;
}

/* vmx_exit_pf - a #PF on the shadow tables (shadow paging only). */
int vmx_exit_pf(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	u32 ec = x->exit_intr_err;

	if (x->rflags & X86_EFLAGS_AC)
		ec |= PFERR_AC;
	return skiff_shadow_pf(v, x->exit_qual, ec);
}

/*
 * vmx_exit_invlpg - INVLPG (shadow paging only): the qualification is
 * the linear address, so unlike SVM without DecodeAssists only that
 * page is synced; the core then asks for a flush of our VPID.
 */
int vmx_exit_invlpg(struct skiff_vcpu *v)
{
	mutex_lock(&v->vm->lock);
	mmu_invlpg(v->vm->mmu, to_vmx(v)->exit_qual);
	mutex_unlock(&v->vm->lock);
	vmx_skip(v);
	return 1;
}

/* Segment-override prefixes, in the order of enum VMX_ES... */
static const u8 vmx_seg_prefix[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

/* A decoded vm86 instruction's prefixes. */
struct vmx_vm86_insn {
	const u8 *b;
	int n, i;		/* bytes, and where decoding is */
	int seg;		/* a segment override, or -1 */
	bool wide;		/* 0x66: 32-bit operands */
	bool addr32;		/* 0x67 */
};

static bool vmx_vm86_prefix(struct vmx_vm86_insn *in, u8 b)
{
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(vmx_seg_prefix); k++) {
		if (b == vmx_seg_prefix[k]) {
			in->seg = k;
			return true;
		}
	}
	if (b == 0x66)
		in->wide = true;
	else if (b == 0x67)
		in->addr32 = true;
	return b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3;
}

static void vmx_vm86_prefixes(struct vmx_vm86_insn *in)
{
	in->seg = -1;
	while (in->i < in->n && vmx_vm86_prefix(in, in->b[in->i]))
		in->i++;
}

/*
 * vmx_vm86_mem - the guest-physical address (paging is off) of the
 * memory operand of the ModRM byte at in->i, 16-bit addressing only,
 * or -1 (a register operand, 32-bit addressing, bytes missing); in->i
 * moves past the ModRM byte and displacement.
 */
static s64 vmx_vm86_mem(struct skiff_vcpu *v, struct vmx_vm86_insn *in)
{
	/* Base and index of each rm value; SKIFF_RSP stands for none. */
	static const u8 reg[8][2] = {
		{ SKIFF_RBX, SKIFF_RSI }, { SKIFF_RBX, SKIFF_RDI },
		{ SKIFF_RBP, SKIFF_RSI }, { SKIFF_RBP, SKIFF_RDI },
		{ SKIFF_RSI, SKIFF_RSP }, { SKIFF_RDI, SKIFF_RSP },
		{ SKIFF_RBP, SKIFF_RSP }, { SKIFF_RBX, SKIFF_RSP },
	};
	u8 modrm = in->b[in->i], mod = modrm >> 6, rm = modrm & 7;
	int disp = mod == 1 ? 1 : (mod == 2 || (mod == 0 && rm == 6)) ? 2 : 0;
	int seg = in->seg;
	u16 ea = 0;

	if (mod == 3 || in->addr32 || in->i + 1 + disp > in->n)
		return -1;
	if (disp == 1)
		ea = (s8)in->b[in->i + 1];
	else if (disp == 2)
		ea = in->b[in->i + 1] | (in->b[in->i + 2] << 8);
	if (mod != 0 || rm != 6) {
		ea += v->gprs[reg[rm][0]];
		if (reg[rm][1] != SKIFF_RSP)
			ea += v->gprs[reg[rm][1]];
	}
	if (seg < 0)
		seg = reg[rm][0] == SKIFF_RBP && (mod != 0 || rm != 6) ?
			VMX_SS : VMX_DS;
	in->i += 1 + disp;
	return (u32)(to_vmx(v)->seg[seg].base + ea);
}

/*
 * LGDT, LIDT and LMSW from memory or a register (0F 01 /2, /3, /6),
 * which real-mode code runs on its way to protected mode; INVLPG
 * (/7), which does nothing with paging off. 1, or 0 for userspace,
 * or -ENOENT for a real #GP.
 */
static int vmx_vm86_grp7(struct skiff_vcpu *v, struct vmx_vm86_insn *in)
{
	struct vmx_vcpu *x = to_vmx(v);
	u8 op = (in->b[in->i] >> 3) & 7;
	u8 buf[6] = { 0 };
	bool mem = in->b[in->i] >> 6 != 3;
	s64 gpa = -1;
	u16 src;
	int r;

	/* Only LMSW takes a register (the others: #UD on hardware, #GP here). */
	if ((op != 2 && op != 3 && op != 6 && op != 7) || (!mem && op != 6))
		return -ENOENT;
	if (mem) {
		gpa = vmx_vm86_mem(v, in);
		if (gpa < 0)
			return skiff_emulation_failed(v);
	} else {
		in->i++;
	}
	if (op == 7)
		goto done;
	if (mem) {
		mutex_lock(&v->vm->lock);
		r = skiff_guest_read(v->vm, gpa, buf, op == 6 ? 2 : 6);
		mutex_unlock(&v->vm->lock);
		if (r)
			return skiff_emulation_failed(v);
	}
	if (op == 6) {
		src = buf[0] | (buf[1] << 8);
		if (!mem)
			src = (in->b[in->i - 1] & 7) == SKIFF_RSP ? x->rsp :
				v->gprs[in->b[in->i - 1] & 7];
		if (vmx_lmsw(v, src))
			return -ENOENT;
		goto done;
	}
	/* A 16-bit operand size loads 24 bits of the base. */
	if (op == 2) {
		x->gdtr_limit = buf[0] | (buf[1] << 8);
		x->gdtr_base = get_unaligned_le32(buf + 2) &
			(in->wide ? 0xffffffff : 0xffffff);
	} else {
		x->idtr_limit = buf[0] | (buf[1] << 8);
		x->idtr_base = get_unaligned_le32(buf + 2) &
			(in->wide ? 0xffffffff : 0xffffff);
	}
done:
	x->exit_len = in->i;
	vmx_skip(v);
	return 1;
}

/*
 * #GP(0) in vm86: the privileged instructions real-mode code runs
 * (CPL 3 makes them fault) are emulated: IN and OUT (the TSS denies
 * every port, vmcs.c), HLT, MOV to and from CR0, CR3 and CR4, CLTS,
 * LMSW, LGDT, LIDT, INVLPG, RDMSR, WRMSR, INVD and WBINVD. Anything
 * else is a real #GP for the guest. String I/O and 32-bit addressing
 * are not emulated: an emulation failure for the monitor, as on SVM
 * for string I/O.
 */
static int vmx_vm86_gp(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	struct vmx_vm86_insn in = { 0 };
	struct skiff_mov_cr m;
	u8 b[15], op, size;
	u64 *gpr;
	int n, i, r;

	mutex_lock(&v->vm->lock);
	n = vmx_fetch(v, b);
	mutex_unlock(&v->vm->lock);
	in.b = b;
	in.n = n;
	vmx_vm86_prefixes(&in);
	i = in.i;
	if (i >= n)
		return skiff_emulation_failed(v);
	op = b[i];
	/* The opcode's second byte, if it has one, must be there too. */
	if ((op == 0x0f || (op >= 0xe4 && op <= 0xe7)) && i + 1 >= n)
		return skiff_emulation_failed(v);
	size = (op & 1) ? (in.wide ? 4 : 2) : 1;
	switch (op) {
	case 0xe4 ... 0xe7:	/* IN/OUT with an immediate port */
		return vmx_pio(v, b[i + 1], size, !(op & 2), i + 2);
	case 0xec ... 0xef:	/* IN/OUT with the port in DX */
		return vmx_pio(v, (u16)v->gprs[SKIFF_RDX], size, !(op & 2),
			       i + 1);
	case 0xf4:
		x->exit_len = i + 1;
		return vmx_exit_hlt(v);
	case 0x6c ... 0x6f:	/* INS, OUTS */
		return skiff_emulation_failed(v);
	case 0x0f:
		break;
	default:
		goto reflect;
	}
	x->exit_len = i + 2;
	switch (b[i + 1]) {
	case 0x20:
	case 0x22:
		if (skiff_decode_mov_cr(b, n, 16, &m) ||
		    (m.cr != 0 && m.cr != 3 && m.cr != 4))
			goto reflect;
		gpr = m.gpr == SKIFF_RSP ? &x->rsp : &v->gprs[m.gpr];
		if (vmx_mov_cr(v, m.cr, m.write, gpr))
			goto reflect;
		x->exit_len = m.len;
		break;
	case 0x06:		/* CLTS */
		x->cr0 &= ~(u64)X86_CR0_TS;
		break;
	case 0x01:
		if (i + 2 >= n)
			return skiff_emulation_failed(v);
		in.i = i + 2;
		r = vmx_vm86_grp7(v, &in);
		if (r == -ENOENT)
			goto reflect;
		return r;
	case 0x08:		/* INVD */
	case 0x09:		/* WBINVD */
		break;
	case 0x30:
		return vmx_exit_msr(v, true);
	case 0x32:
		return vmx_exit_msr(v, false);
	default:
		goto reflect;
	}
	vmx_skip(v);
	return 1;
reflect:
	return vmx_gp(v);
}

/*
 * vmx_exit_exception - an intercepted exception (shadow paging): #PF
 * goes to the core; in vm86, #GP(0) may be a privileged instruction,
 * and anything else is delivered to the guest the real-mode way at
 * the next entry (vmx_vm86_deliver), as is an INT n whose delivery
 * hit our IDT limit (the exit's IDT-vectoring information, already
 * queued by vmx_handle_exit).
 */
int vmx_exit_exception(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	u32 info = x->exit_intr;
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;
	u8 vec = info & INTR_INFO_VECTOR_MASK;

	if (vec == X86_TRAP_PF && type == INTR_TYPE_HARD_EXCEPTION)
		return vmx_exit_pf(v);
	if (vmx_vm86(x) && (x->inject & INTR_INFO_VALID_MASK))
		return 1;
	if (vmx_vm86(x) && vec == X86_TRAP_GP && !x->exit_intr_err)
		return vmx_vm86_gp(v);
	x->inject = vec | type | INTR_INFO_VALID_MASK;
	if (info & INTR_INFO_DELIVER_CODE_MASK) {
		x->inject |= INTR_INFO_DELIVER_CODE_MASK;
		x->inject_err = x->exit_intr_err;
	}
	x->inject_len = x->exit_len;
	return 1;
}
