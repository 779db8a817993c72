// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's state: kept in struct vmx_vcpu, written to the VMCS at
 * each entry and read back at each exit (cpu.c says why the VMCS is
 * loaded only then); the state ioctls (KVM_GET/SET_REGS, SREGS) and
 * MSRs over it. CR0 and CR4 are the guest's as it sees them; the
 * hardware's carry the bits VMX operation fixes (CR0.NE, CR4.VMXE),
 * hidden behind the read shadows, and CR0.CD/NW stay clear as KVM
 * keeps them (the guest's memory type is the host's).
 */
#include <linux/mm.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>

#include "vmx.h"

/* The PAT a reset CPU has (SDM: WB WT UC- UC, twice). */
#define PAT_RESET	0x0007040600070406ULL
#define EFER_GUEST	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

static const u32 seg_sel[VMX_NR_SEGS] = {
	GUEST_ES_SELECTOR, GUEST_CS_SELECTOR, GUEST_SS_SELECTOR,
	GUEST_DS_SELECTOR, GUEST_FS_SELECTOR, GUEST_GS_SELECTOR,
	GUEST_LDTR_SELECTOR, GUEST_TR_SELECTOR,
};

/* The base, limit and AR fields follow the selector's order. */
#define SEG_BASE(i)	(GUEST_ES_BASE + 2 * (i))
#define SEG_LIMIT(i)	(GUEST_ES_LIMIT + 2 * (i))
#define SEG_AR(i)	(GUEST_ES_AR_BYTES + 2 * (i))

/*
 * CR0 bits the guest does not own: VMX fixes them, or KVM's policy.
 * With shadow paging PE and PG are fixed (no unrestricted guest) and
 * WP is always on for the hardware, so all three exit when written;
 * so does AM, off for the hardware in vm86 (CPL 3 there would make
 * real-mode code take #AC).
 */
u64 vmx_cr0_mask(void)
{
	u64 fixed = vmx_caps.cr0_fixed0 | ~vmx_caps.cr0_fixed1;

	if (vmx_caps.unrestricted)
		fixed &= ~(u64)(X86_CR0_PE | X86_CR0_PG);
	if (!vmx_caps.ept)
		fixed |= X86_CR0_PE | X86_CR0_PG | X86_CR0_WP | X86_CR0_AM;
	return (fixed | X86_CR0_NE | X86_CR0_CD | X86_CR0_NW) & 0xffffffffULL;
}

u64 vmx_hw_cr0(u64 cr0)
{
	u64 on = vmx_caps.cr0_fixed0 | X86_CR0_NE;

	if (vmx_caps.unrestricted)
		on &= ~(u64)(X86_CR0_PE | X86_CR0_PG);
	/* Shadow paging: the core's read-only sptes bind the kernel too. */
	if (!vmx_caps.ept) {
		if (!(cr0 & X86_CR0_PE))
			cr0 &= ~(u64)X86_CR0_AM;
		on |= X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	}
	return ((cr0 | on) & ~(u64)(X86_CR0_CD | X86_CR0_NW)) &
		vmx_caps.cr0_fixed1;
}

/* Every CR4 write exits: it must keep to the CPUID we offer (exit.c). */
u64 vmx_hw_cr4(u64 cr4)
{
	return (cr4 | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1;
}

/*
 * The hardware's CR4 for the guest's (every bit is host-owned, the
 * read shadow shows the guest its own). With shadow paging PAE is
 * always on (the core's tables, or a PDPT of them); with the guest's
 * paging off its SMEP and SMAP would apply to the identity map, and
 * in virtual-8086 mode VME and PVI would change what our stand-in TSS
 * and IDT are asked for: all four off.
 */
static u64 vmx_guest_hw_cr4(struct vmx_vcpu *x)
{
	u64 cr4 = x->cr4;

	if (vmx_caps.ept)
		return vmx_hw_cr4(cr4);
	cr4 |= X86_CR4_PAE;
	if (!(x->cr0 & X86_CR0_PG))
		cr4 &= ~(X86_CR4_SMEP | X86_CR4_SMAP);
	if (vmx_vm86(x))
		cr4 &= ~(X86_CR4_VME | X86_CR4_PVI);
	return vmx_hw_cr4(cr4);
}

/*
 * The hardware's EFER. With shadow paging NX is always on, as KVM has
 * it: the core's sptes may carry NX whatever the guest's EFER says;
 * and with the guest's paging off, so is long mode.
 */
static u64 vmx_guest_hw_efer(struct vmx_vcpu *x)
{
	u64 efer = x->efer;

	if (vmx_caps.ept)
		return efer;
	efer |= EFER_NX;
	if (!(x->cr0 & X86_CR0_PG))
		efer &= ~(EFER_LME | EFER_LMA);
	return efer;
}

/*
 * Real mode in virtual-8086 mode (shadow paging: no unrestricted
 * guest). Segments are what vm86 allows, base = selector * 16, limit
 * 64K, AR 0xf3; a base that is no selector's takes the selector of
 * its paragraph, as KVM's fix_rmode_seg does. RFLAGS gets VM and
 * IOPL 3 (CLI, STI, PUSHF, POPF and IRET then run as in real mode).
 * TR is a 32-bit TSS of limit 0: every IN and OUT fails the TSS's
 * permission check with #GP, emulated by paging.c. The IDT limit is
 * 0: INT n raises #GP as it is delivered, which paging.c turns into
 * a real-mode interrupt through the guest's IVT; every exception
 * exits (vmx_vmcs_write), so the hardware never delivers one.
 * KVM keeps a TSS with an interrupt redirection map in guest memory
 * (KVM_SET_TSS_ADDR) and emulates with its instruction emulator; this
 * needs neither, at the cost of an exit per port access and INT n.
 */
static void vmx_vm86_write(struct vmx_vcpu *x)
{
	int i;

	for (i = VMX_ES; i <= VMX_GS; i++) {
		struct vmx_seg *s = &x->seg[i];
		u16 sel = s->sel;

		if (s->base != (u64)sel << 4)
			sel = s->base >> 4;
		x->vm86_sel[i] = sel;
		vmx_vmwrite(seg_sel[i], sel);
		vmx_vmwrite(SEG_BASE(i), (u64)sel << 4);
		vmx_vmwrite(SEG_LIMIT(i), 0xffff);
		vmx_vmwrite(SEG_AR(i), 0xf3);
	}
	vmx_vmwrite(GUEST_TR_SELECTOR, 0);
	vmx_vmwrite(GUEST_TR_BASE, 0);
	vmx_vmwrite(GUEST_TR_LIMIT, 0);
	vmx_vmwrite(GUEST_TR_AR_BYTES, VMX_AR_P_MASK | 11);
	vmx_vmwrite(GUEST_IDTR_LIMIT, 0);
	vmx_vmwrite(GUEST_RFLAGS, x->rflags | X86_EFLAGS_VM | X86_EFLAGS_IOPL);
}

/* After a vm86 exit: a segment the guest loaded, and its own IOPL. */
static void vmx_vm86_read(struct vmx_vcpu *x, u64 rflags)
{
	int i;

	for (i = VMX_ES; i <= VMX_GS; i++) {
		u16 sel = vmx_vmread(seg_sel[i]);

		if (sel == x->vm86_sel[i])
			continue;
		x->seg[i].sel = sel;
		x->seg[i].base = (u64)sel << 4;
	}
	x->rflags = (rflags & ~(X86_EFLAGS_VM | X86_EFLAGS_IOPL)) |
		(x->rflags & X86_EFLAGS_IOPL);
}

static void seg_reset(struct vmx_seg *s, u32 ar)
{
	s->sel = 0;
	s->base = 0;
	s->limit = 0xffff;
	s->ar = ar;
}

/* vmx_reset - the state of a CPU after RESET (SDM 10.1), as KVM's. */
void vmx_reset(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	int i;

	for (i = 0; i < VMX_NR_SEGS; i++)
		seg_reset(&x->seg[i], 0x93);
	x->seg[VMX_CS].ar = 0x9b;
	x->seg[VMX_CS].sel = 0xf000;
	x->seg[VMX_CS].base = 0xffff0000;
	x->seg[VMX_LDTR].ar = 0x82;
	x->seg[VMX_TR].ar = 0x8b;
	x->gdtr_base = x->idtr_base = 0;
	x->gdtr_limit = x->idtr_limit = 0xffff;
	x->rip = 0xfff0;
	x->rsp = 0;
	x->rflags = X86_EFLAGS_FIXED;
	x->cr0 = X86_CR0_NW | X86_CR0_CD | X86_CR0_ET;
	x->cr2 = x->cr3 = x->cr4 = 0;
	x->efer = 0;
	x->pat = PAT_RESET;
	x->sysenter_cs = x->sysenter_esp = x->sysenter_eip = 0;
	x->kernel_gs_base = x->star = x->lstar = x->cstar = x->sfmask = 0;
	x->interruptibility = 0;
	x->inject = 0;
	x->last_cpu = -1;
	skiff_pt_retry_reset(v);
	/* Callers may hold vm->lock: the core learns the mode at entry. */
	x->paging_stale = true;
	memset(v->gprs, 0, sizeof(v->gprs));
}

/* vmx_vmcs_write - the controls and the guest's state, before entry. */
void vmx_vmcs_write(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	u32 entry = vmx_caps.entry;
	int i;

	if (x->efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	vmx_vmwrite(PIN_BASED_VM_EXEC_CONTROL, vmx_caps.pin);
	vmx_vmwrite(CPU_BASED_VM_EXEC_CONTROL, vmx_caps.proc);
	if (vmx_caps.proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		vmx_vmwrite(SECONDARY_VM_EXEC_CONTROL, vmx_caps.proc2);
	vmx_vmwrite(VM_EXIT_CONTROLS, vmx_caps.exit);
	vmx_vmwrite(VM_ENTRY_CONTROLS, entry);
	/*
	 * Shadow paging: every #PF (mask and match 0) goes to the core; in
	 * vm86 every exception, delivered the real-mode way by paging.c.
	 */
	vmx_vmwrite(EXCEPTION_BITMAP, vmx_caps.ept ? 0 :
		    vmx_vm86(x) ? ~0U : BIT(X86_TRAP_PF));
	vmx_vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmx_vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmx_vmwrite(CR3_TARGET_COUNT, 0);
	vmx_vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
	vmx_vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmx_vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmx_vmwrite(IO_BITMAP_A, vmx_io_a_pa);
	vmx_vmwrite(IO_BITMAP_B, vmx_io_b_pa);
	vmx_vmwrite(MSR_BITMAP, vmx_msr_bitmap_pa);
	vmx_vmwrite(TSC_OFFSET, v->tsc_offset);
	if (vmx_caps.vpid)
		vmx_vmwrite(VIRTUAL_PROCESSOR_ID, x->vpid);
	vmx_vmwrite(CR0_GUEST_HOST_MASK, vmx_cr0_mask());
	vmx_vmwrite(CR0_READ_SHADOW, x->cr0);
	vmx_vmwrite(CR4_GUEST_HOST_MASK, ~0UL);
	vmx_vmwrite(CR4_READ_SHADOW, x->cr4);
	vmx_vmwrite(VMCS_LINK_POINTER, -1ULL);
	if (vmx_caps.pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmx_vmwrite(VMX_PREEMPTION_TIMER_VALUE, vmx_caps.preempt_ticks);

	for (i = 0; i < VMX_NR_SEGS; i++) {
		vmx_vmwrite(seg_sel[i], x->seg[i].sel);
		vmx_vmwrite(SEG_BASE(i), x->seg[i].base);
		vmx_vmwrite(SEG_LIMIT(i), x->seg[i].limit);
		vmx_vmwrite(SEG_AR(i), x->seg[i].ar);
	}
	vmx_vmwrite(GUEST_GDTR_BASE, x->gdtr_base);
	vmx_vmwrite(GUEST_GDTR_LIMIT, x->gdtr_limit);
	vmx_vmwrite(GUEST_IDTR_BASE, x->idtr_base);
	vmx_vmwrite(GUEST_IDTR_LIMIT, x->idtr_limit);
	vmx_vmwrite(GUEST_CR0, vmx_hw_cr0(x->cr0));
	vmx_vmwrite(GUEST_CR3, vmx_caps.ept ? x->cr3 : x->hw_cr3);
	vmx_vmwrite(GUEST_CR4, vmx_guest_hw_cr4(x));
	vmx_vmwrite(GUEST_DR7, 0x400);
	vmx_vmwrite(GUEST_IA32_DEBUGCTL, 0);
	vmx_vmwrite(GUEST_RSP, x->rsp);
	vmx_vmwrite(GUEST_RIP, x->rip);
	vmx_vmwrite(GUEST_RFLAGS, x->rflags);
	vmx_vmwrite(GUEST_IA32_EFER, vmx_guest_hw_efer(x));
	vmx_vmwrite(GUEST_IA32_PAT, x->pat);
	vmx_vmwrite(GUEST_SYSENTER_CS, x->sysenter_cs);
	vmx_vmwrite(GUEST_SYSENTER_ESP, x->sysenter_esp);
	vmx_vmwrite(GUEST_SYSENTER_EIP, x->sysenter_eip);
	vmx_vmwrite(GUEST_INTERRUPTIBILITY_INFO, x->interruptibility);
	vmx_vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmx_vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	for (i = 0; i < 4; i++)
		vmx_vmwrite(GUEST_PDPTR0 + 2 * i, x->pdptr[i]);
	vmx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, x->inject);
	vmx_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, x->inject_err);
	vmx_vmwrite(VM_ENTRY_INSTRUCTION_LEN, x->inject_len);
	if (vmx_vm86(x))
		vmx_vm86_write(x);
}

/* vmx_vmcs_read - the guest's state and the exit's, after an exit. */
void vmx_vmcs_read(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	bool vm86 = vmx_vm86(x);
	u64 mask;
	int i;

	for (i = 0; i < VMX_NR_SEGS && !vm86; i++) {
		x->seg[i].sel = vmx_vmread(seg_sel[i]);
		x->seg[i].base = vmx_vmread(SEG_BASE(i));
		x->seg[i].limit = vmx_vmread(SEG_LIMIT(i));
		x->seg[i].ar = vmx_vmread(SEG_AR(i));
	}
	x->gdtr_base = vmx_vmread(GUEST_GDTR_BASE);
	x->gdtr_limit = vmx_vmread(GUEST_GDTR_LIMIT);
	if (!vm86) {
		x->idtr_base = vmx_vmread(GUEST_IDTR_BASE);
		x->idtr_limit = vmx_vmread(GUEST_IDTR_LIMIT);
	}
	mask = vmx_cr0_mask();
	x->cr0 = (vmx_vmread(GUEST_CR0) & ~mask) | (x->cr0 & mask);
	x->rsp = vmx_vmread(GUEST_RSP);
	x->rip = vmx_vmread(GUEST_RIP);
	if (vm86)
		vmx_vm86_read(x, vmx_vmread(GUEST_RFLAGS));
	else
		x->rflags = vmx_vmread(GUEST_RFLAGS);
	/* With shadow paging CR3 and EFER exit: the hardware's differ. */
	if (vmx_caps.ept) {
		x->cr3 = vmx_vmread(GUEST_CR3);
		x->efer = vmx_vmread(GUEST_IA32_EFER);
	}
	x->pat = vmx_vmread(GUEST_IA32_PAT);
	x->sysenter_cs = vmx_vmread(GUEST_SYSENTER_CS);
	x->sysenter_esp = vmx_vmread(GUEST_SYSENTER_ESP);
	x->sysenter_eip = vmx_vmread(GUEST_SYSENTER_EIP);
	x->interruptibility = vmx_vmread(GUEST_INTERRUPTIBILITY_INFO);
	x->exit_reason = vmx_vmread(VM_EXIT_REASON);
	x->exit_qual = vmx_vmread(EXIT_QUALIFICATION);
	x->exit_len = vmx_vmread(VM_EXIT_INSTRUCTION_LEN);
	x->exit_intr = vmx_vmread(VM_EXIT_INTR_INFO);
	x->exit_intr_err = vmx_vmread(VM_EXIT_INTR_ERROR_CODE);
	x->exit_gpa = vmx_vmread(GUEST_PHYSICAL_ADDRESS);
	x->idt_vectoring = vmx_vmread(IDT_VECTORING_INFO_FIELD);
	x->idt_vectoring_err = vmx_vmread(IDT_VECTORING_ERROR_CODE);
}

void vmx_get_regs(struct skiff_vcpu *v, struct kvm_regs *r)
{
	struct vmx_vcpu *x = to_vmx(v);
	const u64 *g = v->gprs;

	r->rax = g[SKIFF_RAX];
	r->rbx = g[SKIFF_RBX];
	r->rcx = g[SKIFF_RCX];
	r->rdx = g[SKIFF_RDX];
	r->rsi = g[SKIFF_RSI];
	r->rdi = g[SKIFF_RDI];
	r->rsp = x->rsp;
	r->rbp = g[SKIFF_RBP];
	r->r8 = g[SKIFF_R8];
	r->r9 = g[SKIFF_R9];
	r->r10 = g[SKIFF_R10];
	r->r11 = g[SKIFF_R11];
	r->r12 = g[SKIFF_R12];
	r->r13 = g[SKIFF_R13];
	r->r14 = g[SKIFF_R14];
	r->r15 = g[SKIFF_R15];
	r->rip = x->rip;
	r->rflags = x->rflags;
}

void vmx_set_regs(struct skiff_vcpu *v, const struct kvm_regs *r)
{
	struct vmx_vcpu *x = to_vmx(v);
	u64 *g = v->gprs;

	g[SKIFF_RAX] = r->rax;
	g[SKIFF_RBX] = r->rbx;
	g[SKIFF_RCX] = r->rcx;
	g[SKIFF_RDX] = r->rdx;
	g[SKIFF_RSI] = r->rsi;
	g[SKIFF_RDI] = r->rdi;
	x->rsp = r->rsp;
	g[SKIFF_RBP] = r->rbp;
	g[SKIFF_R8] = r->r8;
	g[SKIFF_R9] = r->r9;
	g[SKIFF_R10] = r->r10;
	g[SKIFF_R11] = r->r11;
	g[SKIFF_R12] = r->r12;
	g[SKIFF_R13] = r->r13;
	g[SKIFF_R14] = r->r14;
	g[SKIFF_R15] = r->r15;
	x->rip = r->rip;
	/* As KVM: bit 1 is always set; the CPU would refuse it clear. */
	x->rflags = r->rflags | X86_EFLAGS_FIXED;
}

static void seg_to_kvm(const struct vmx_seg *s, struct kvm_segment *k)
{
	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->sel;
	k->type = s->ar & 15;
	k->s = !!(s->ar & VMX_AR_S_MASK);
	k->dpl = VMX_AR_DPL(s->ar);
	k->present = !!(s->ar & VMX_AR_P_MASK);
	k->avl = !!(s->ar & BIT(12));
	k->l = !!(s->ar & VMX_AR_L_MASK);
	k->db = !!(s->ar & VMX_AR_DB_MASK);
	k->g = !!(s->ar & VMX_AR_G_MASK);
	k->unusable = !!(s->ar & VMX_AR_UNUSABLE_MASK);
	/* An unusable segment reads as not present, as KVM's. */
	if (k->unusable)
		k->present = 0;
}

static void seg_from_kvm(struct vmx_seg *s, const struct kvm_segment *k)
{
	s->base = k->base;
	s->limit = k->limit;
	s->sel = k->selector;
	if (k->unusable || !k->present) {
		s->ar = VMX_AR_UNUSABLE_MASK;
		return;
	}
	s->ar = (k->type & 15) | (k->s << 4) | ((k->dpl & 3) << 5) |
		(k->present << 7) | (k->avl << 12) | (k->l << 13) |
		(k->db << 14) | (k->g << 15);
}

void vmx_get_sregs(struct skiff_vcpu *v, struct kvm_sregs *k)
{
	struct vmx_vcpu *x = to_vmx(v);

	seg_to_kvm(&x->seg[VMX_CS], &k->cs);
	seg_to_kvm(&x->seg[VMX_DS], &k->ds);
	seg_to_kvm(&x->seg[VMX_ES], &k->es);
	seg_to_kvm(&x->seg[VMX_FS], &k->fs);
	seg_to_kvm(&x->seg[VMX_GS], &k->gs);
	seg_to_kvm(&x->seg[VMX_SS], &k->ss);
	seg_to_kvm(&x->seg[VMX_TR], &k->tr);
	seg_to_kvm(&x->seg[VMX_LDTR], &k->ldt);
	/* TR is always usable on x86. */
	k->tr.unusable = 0;
	k->tr.present = 1;
	k->gdt.base = x->gdtr_base;
	k->gdt.limit = x->gdtr_limit;
	k->idt.base = x->idtr_base;
	k->idt.limit = x->idtr_limit;
	k->cr0 = x->cr0;
	k->cr2 = x->cr2;
	k->cr3 = x->cr3;
	k->cr4 = x->cr4;
	k->cr8 = 0;
	k->efer = x->efer;
	/* No local APIC: KVM reports the reset base of the BSP's. */
	k->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
		       MSR_IA32_APICBASE_BSP;
	memset(k->interrupt_bitmap, 0, sizeof(k->interrupt_bitmap));
}

/*
 * vmx_cr4_valid - a CR4 the guest may hold: what the CPUID we offer
 * has, and never VMXE (no nested VMX) nor bits VMX operation forbids.
 */
bool vmx_cr4_valid(u64 cr4)
{
	/* As SVM's: no OSXSAVE, whose state KVM_GET_FPU would miss. */
	u64 ok = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
		X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |
		X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |
		X86_CR4_FSGSBASE | X86_CR4_SMEP | X86_CR4_SMAP;

	return !(cr4 & ~ok) && !(vmx_hw_cr4(cr4) & ~vmx_caps.cr4_fixed1);
}

/* The checks KVM makes of KVM_SET_SREGS (kvm_is_valid_sregs). */
static bool vmx_sregs_valid(const struct kvm_sregs *k)
{
	bool pg = k->cr0 & X86_CR0_PG;

	if (k->cr0 >> 32 || (k->efer & ~EFER_GUEST) || !vmx_cr4_valid(k->cr4))
		return false;
	if (pg && !(k->cr0 & X86_CR0_PE))
		return false;
	if ((k->cr0 & X86_CR0_NW) && !(k->cr0 & X86_CR0_CD))
		return false;
	if ((k->efer & EFER_LME) && pg) {
		if (!(k->cr4 & X86_CR4_PAE) || !(k->efer & EFER_LMA))
			return false;
		if (k->cs.l && k->cs.db)
			return false;
	} else if (k->efer & EFER_LMA) {
		return false;
	}
	return !(k->cr3 >> MMU_MAXPHYADDR);
}

int vmx_set_sregs(struct skiff_vcpu *v, const struct kvm_sregs *k)
{
	struct vmx_vcpu *x = to_vmx(v);

	if (!vmx_sregs_valid(k))
		return -EINVAL;
	seg_from_kvm(&x->seg[VMX_CS], &k->cs);
	seg_from_kvm(&x->seg[VMX_DS], &k->ds);
	seg_from_kvm(&x->seg[VMX_ES], &k->es);
	seg_from_kvm(&x->seg[VMX_FS], &k->fs);
	seg_from_kvm(&x->seg[VMX_GS], &k->gs);
	seg_from_kvm(&x->seg[VMX_SS], &k->ss);
	seg_from_kvm(&x->seg[VMX_TR], &k->tr);
	seg_from_kvm(&x->seg[VMX_LDTR], &k->ldt);
	/*
	 * VM entry wants TR usable and busy, as every real TR is: KVM's
	 * monitors set a type 11 (64-bit) or 3 (16-bit) TSS.
	 */
	x->seg[VMX_TR].ar &= ~VMX_AR_UNUSABLE_MASK;
	x->seg[VMX_TR].ar |= VMX_AR_P_MASK | 2;
	x->gdtr_base = k->gdt.base;
	x->gdtr_limit = k->gdt.limit;
	x->idtr_base = k->idt.base;
	x->idtr_limit = k->idt.limit;
	x->cr0 = k->cr0;
	x->cr2 = k->cr2;
	x->cr3 = k->cr3;
	x->cr4 = k->cr4;
	x->efer = k->efer;
	/* A new address space: the guest's TLB must forget the old one. */
	v->vm->mmu_flush = true;
	if (!vmx_caps.ept)
		return vmx_shadow_load(v) ? -EINVAL : 0;
	return 0;
}

/* For the core's emulation (kmod/core/exit.c): RSP is the VMCS's. */
void vmx_get_insn_regs(struct skiff_vcpu *v, struct skiff_insn_regs *r)
{
	struct vmx_vcpu *x = to_vmx(v);

	memcpy(r->gprs, v->gprs, sizeof(r->gprs));
	r->gprs[SKIFF_RSP] = x->rsp;
	r->rflags = x->rflags;
	r->rip = x->rip;
}

void vmx_put_insn_regs(struct skiff_vcpu *v, const struct skiff_insn_regs *r,
		       u32 len)
{
	struct vmx_vcpu *x = to_vmx(v);

	memcpy(v->gprs, r->gprs, sizeof(v->gprs));
	x->rsp = r->gprs[SKIFF_RSP];
	x->rflags = r->rflags;
	x->rip = r->rip;
	x->exit_len = len;
	vmx_skip(v);
}

/* A #PF that exits leaves CR2 alone: the guest's is set here. */
void vmx_inject_pf(struct skiff_vcpu *v, u64 addr, u32 err)
{
	to_vmx(v)->cr2 = addr;
	vmx_inject(v, X86_TRAP_PF, true, err);
}

/* vmx_inject - deliver exception vector at the next entry. */
void vmx_inject(struct skiff_vcpu *v, u8 vector, bool has_err, u32 err)
{
	struct vmx_vcpu *x = to_vmx(v);

	/* Real mode pushes no error code; VM entry refuses one there. */
	if (!(x->cr0 & X86_CR0_PE))
		has_err = false;
	x->inject = vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID_MASK |
		(has_err ? INTR_INFO_DELIVER_CODE_MASK : 0);
	x->inject_err = err;
	x->inject_len = 0;
}

static u64 *vmx_msr_field(struct vmx_vcpu *x, u32 msr)
{
	switch (msr) {
	case MSR_IA32_SYSENTER_CS:
		return &x->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:
		return &x->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:
		return &x->sysenter_eip;
	case MSR_STAR:
		return &x->star;
	case MSR_LSTAR:
		return &x->lstar;
	case MSR_CSTAR:
		return &x->cstar;
	case MSR_SYSCALL_MASK:
		return &x->sfmask;
	case MSR_KERNEL_GS_BASE:
		return &x->kernel_gs_base;
	case MSR_FS_BASE:
		return &x->seg[VMX_FS].base;
	case MSR_GS_BASE:
		return &x->seg[VMX_GS].base;
	default:
		return NULL;
	}
}

/*
 * vmx_get_msr - 0 and *val, or -1 for an MSR this vCPU does not have.
 * The guest reaches these through RDMSR/WRMSR exits (every MSR exits:
 * the bitmap is all ones), the monitor through KVM_GET/SET_MSRS.
 */
int vmx_get_msr(struct skiff_vcpu *v, u32 msr, u64 *val)
{
	struct vmx_vcpu *x = to_vmx(v);
	u64 *field = vmx_msr_field(x, msr);

	if (field) {
		*val = *field;
		return 0;
	}
	switch (msr) {
	case MSR_EFER:
		*val = x->efer;
		return 0;
	case MSR_IA32_TSC:
		*val = rdtsc() + v->tsc_offset;
		return 0;
	case MSR_IA32_CR_PAT:
		*val = x->pat;
		return 0;
	case MSR_IA32_APICBASE:
		*val = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
		       MSR_IA32_APICBASE_BSP;
		return 0;
	case MSR_TSC_AUX:
		if (!vmx_caps.tsc_aux)
			return -1;
		*val = x->tsc_aux;
		return 0;
	default:
		return -1;
	}
}

int vmx_set_efer(struct skiff_vcpu *v, u64 val)
{
	struct vmx_vcpu *x = to_vmx(v);

	if (val & ~EFER_GUEST)
		return -1;
	/* LME may not change while paging is on; LMA is the CPU's. */
	if ((x->cr0 & X86_CR0_PG) && ((val ^ x->efer) & EFER_LME))
		return -1;
	x->efer = (val & ~EFER_LMA) | (x->efer & EFER_LMA);
	/* NX changes what the guest's entries mean to the core. */
	if (!vmx_caps.ept)
		x->paging_stale = true;
	return 0;
}

/* vmx_set_msr - 0, or -1 for an MSR or value this vCPU may not hold. */
int vmx_set_msr(struct skiff_vcpu *v, u32 msr, u64 val)
{
	struct vmx_vcpu *x = to_vmx(v);
	u64 *field = vmx_msr_field(x, msr);

	if (field) {
		/* Addresses the CPU would load must be canonical. */
		if (msr != MSR_IA32_SYSENTER_CS && msr != MSR_STAR &&
		    msr != MSR_SYSCALL_MASK && (s64)(val << 16) >> 16 != val)
			return -1;
		*field = val;
		return 0;
	}
	switch (msr) {
	case MSR_EFER:
		return vmx_set_efer(v, val);
	case MSR_IA32_TSC:
		v->tsc_offset = val - rdtsc();
		return 0;
	case MSR_IA32_CR_PAT:
		if (!skiff_pat_valid(val))
			return -1;
		x->pat = val;
		return 0;
	case MSR_TSC_AUX:
		/*
		 * Kept for the monitor (save and restore): the guest's
		 * RDTSCP and RDPID are #UD, so it is never loaded. Bits
		 * 63:32 are refused, as Intel CPUs and KVM's vmx.c do.
		 */
		if (!vmx_caps.tsc_aux || val >> 32)
			return -1;
		x->tsc_aux = val;
		return 0;
	default:
		return -1;
	}
}
