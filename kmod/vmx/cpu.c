// SPDX-License-Identifier: GPL-2.0
/*
 * The per-CPU side of VMX: VMXON regions, and VMX operation borrowed
 * around one entry.
 *
 * Sharing the CPU with kvm_intel: VMX operation is per CPU, and
 * kvm_intel (6.1) enters it when its first VM is made and leaves it
 * when its last ends. skiff holds it only for the span of one entry,
 * interrupts off, as the SVM backend does with EFER.SVME: if CR4.VMXE
 * is clear, it sets it and executes VMXON on its own region, and
 * VMXOFF after; if another hypervisor is in VMX operation, it uses
 * that, and puts back the VMCS that was current (VMPTRST/VMPTRLD), so
 * kvm_intel's cached idea of its current VMCS stays true. Our VMCS is
 * VMCLEARed after every exit, so every entry is a VMLAUNCH and the
 * vCPU may move between CPUs freely. KVM instead keeps VMX on and each
 * VMCS loaded on its CPU, and migrates VMCSs with IPIs: faster, but it
 * owns the CPU's VMX operation.
 *
 * TLB: guest entries are tagged by our VPID (from the top of the
 * range, vmx.c) and by the EPT root. Each entry on a CPU other than
 * the last, and each flush the MMU asked for, does INVVPID and INVEPT
 * of our context (INVVPID alone with shadow paging: the MMU asks for
 * it when sptes lose rights, and at the guest's CR3 loads and INVLPGs,
 * which exit then; an INVLPG's address alone where the CPU can).
 */
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "vmx.h"

struct vmx_cpu {
	struct page *vmxon;	/* this CPU's VMXON region */
};

static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpus);

/* Seen in /sys/module/skiff/parameters: entries in a foreign VMXON. */
static unsigned long vmx_foreign_entries;
module_param(vmx_foreign_entries, ulong, 0444);
MODULE_PARM_DESC(vmx_foreign_entries,
		 "VMX entries made inside another hypervisor's VMX operation");

static void vmx_cpu_free_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *c = per_cpu_ptr(&vmx_cpus, cpu);

		if (c->vmxon)
			__free_page(c->vmxon);
		c->vmxon = NULL;
	}
}

int vmx_cpu_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *c = per_cpu_ptr(&vmx_cpus, cpu);

		c->vmxon = alloc_pages_node(cpu_to_node(cpu),
					    GFP_KERNEL | __GFP_ZERO, 0);
		if (!c->vmxon) {
			vmx_cpu_free_pages();
			return -ENOMEM;
		}
		*(u32 *)page_address(c->vmxon) = vmx_caps.revision;
	}
	return 0;
}

void vmx_cpu_exit(void)
{
	vmx_cpu_free_pages();
}

struct invept_desc {
	u64 eptp, zero;
};

struct invvpid_desc {
	u64 vpid, gva;
};

static void vmx_flush(struct vmx_vcpu *x, u64 eptp)
{
	u64 cap = vmx_caps.ept_vpid;
	struct invept_desc e = { eptp, 0 };
	struct invvpid_desc p = { x->vpid, 0 };
	unsigned long type;

	if (vmx_caps.ept) {
		type = cap & VMX_EPT_EXTENT_CONTEXT_BIT ?
			VMX_EPT_EXTENT_CONTEXT : VMX_EPT_EXTENT_GLOBAL;
		asm volatile("invept %[d], %[t]" :: [d] "m" (e), [t] "r" (type)
			     : "cc", "memory");
	}
	/* VPID 0: every entry and exit flushes its mappings anyway. */
	if (!x->vpid)
		return;
	type = cap & (VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT << 32) ?
		VMX_VPID_EXTENT_SINGLE_CONTEXT : VMX_VPID_EXTENT_ALL_CONTEXT;
	asm volatile("invvpid %[d], %[t]" :: [d] "m" (p), [t] "r" (type)
		     : "cc", "memory");
}

/*
 * vmx_flush_gva - after the guest's INVLPG with shadow paging: only
 * that address of our VPID (INVVPID's individual-address type), as
 * KVM's vpid_sync_vcpu_addr, where IA32_VMX_EPT_VPID_CAP offers it;
 * else all of our VPID. The type fails on a non-canonical address, so
 * that also takes the whole VPID (a 64-bit guest's INVLPG of one is
 * #GP before it exits, but the check is cheap).
 */
static void vmx_flush_gva(struct vmx_vcpu *x, u64 va)
{
	struct invvpid_desc p = { x->vpid, va };
	unsigned long type = VMX_VPID_EXTENT_INDIVIDUAL_ADDR;

	if (!(vmx_caps.ept_vpid & (VMX_VPID_EXTENT_INDIVIDUAL_ADDR_BIT << 32)) ||
	    (s64)(va << 16) >> 16 != va) {
		vmx_flush(x, 0);
		return;
	}
	asm volatile("invvpid %[d], %[t]" :: [d] "m" (p), [t] "r" (type)
		     : "cc", "memory");
}

/* The base of the TSS that TR names, from its 16-byte GDT descriptor. */
static unsigned long vmx_host_tr_base(unsigned long gdt)
{
	u16 tr;
	const u32 *d;

	asm volatile("str %0" : "=r" (tr));
	d = (const u32 *)(gdt + (tr & ~7));
	return (d[0] >> 16) | ((d[1] & 0xff) << 16) | (d[1] & 0xff000000) |
		((unsigned long)d[2] << 32);
}

/* The host state an exit loads: this CPU's, this task's. */
static void vmx_write_host(void)
{
	struct desc_ptr gdt, idt;
	u64 msr;

	vmx_vmwrite(HOST_CR0, read_cr0());
	vmx_vmwrite(HOST_CR3, __read_cr3());
	vmx_vmwrite(HOST_CR4, __read_cr4());
	vmx_vmwrite(HOST_CS_SELECTOR, __KERNEL_CS);
	vmx_vmwrite(HOST_SS_SELECTOR, __KERNEL_DS);
	/* DS, ES, FS, GS load as null: vmx_cpu_run puts them back. */
	vmx_vmwrite(HOST_DS_SELECTOR, 0);
	vmx_vmwrite(HOST_ES_SELECTOR, 0);
	vmx_vmwrite(HOST_FS_SELECTOR, 0);
	vmx_vmwrite(HOST_GS_SELECTOR, 0);
	vmx_vmwrite(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	native_store_gdt(&gdt);
	store_idt(&idt);
	vmx_vmwrite(HOST_GDTR_BASE, gdt.address);
	vmx_vmwrite(HOST_IDTR_BASE, idt.address);
	vmx_vmwrite(HOST_TR_BASE, vmx_host_tr_base(gdt.address));
	rdmsrl(MSR_FS_BASE, msr);
	vmx_vmwrite(HOST_FS_BASE, msr);
	rdmsrl(MSR_GS_BASE, msr);
	vmx_vmwrite(HOST_GS_BASE, msr);
	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmx_vmwrite(HOST_IA32_SYSENTER_CS, msr);
	rdmsrl(MSR_IA32_SYSENTER_ESP, msr);
	vmx_vmwrite(HOST_IA32_SYSENTER_ESP, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmx_vmwrite(HOST_IA32_SYSENTER_EIP, msr);
	rdmsrl(MSR_EFER, msr);
	vmx_vmwrite(HOST_IA32_EFER, msr);
	rdmsrl(MSR_IA32_CR_PAT, msr);
	vmx_vmwrite(HOST_IA32_PAT, msr);
	vmx_vmwrite(HOST_RIP, (unsigned long)skiff_vmx_exit_point);
}

/*
 * The syscall MSRs and KERNEL_GS_BASE, which VMX does not switch: the
 * guest's are loaded for the entry where they differ from the host's,
 * and the host's put back after (KVM defers that to the return to
 * user space; one entry at a time here).
 */
static const u32 vmx_switched_msrs[] = {
	MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
};

static u64 *vmx_switched_val(struct vmx_vcpu *x, int i)
{
	u64 *vals[] = { &x->kernel_gs_base, &x->star, &x->lstar, &x->cstar,
		&x->sfmask };

	return vals[i];
}

/* vmx_cpu_run - with interrupts off: one entry of the vCPU here. */
void vmx_cpu_run(struct skiff_vcpu *v)
{
	struct vmx_cpu *c = this_cpu_ptr(&vmx_cpus);
	struct vmx_vcpu *x = to_vmx(v);
	u64 host_msr[ARRAY_SIZE(vmx_switched_msrs)];
	u64 prev_vmcs = -1ULL, eptp = 0;
	bool own = !(__read_cr4() & X86_CR4_VMXE);
	int cpu = smp_processor_id();
	u16 ds, es, fs, gs;
	u64 fs_base;
	unsigned int i;

	x->vmfail = false;
	if (own) {
		cr4_set_bits(X86_CR4_VMXE);
		if (vmx_vmxon(page_to_phys(c->vmxon))) {
			cr4_clear_bits(X86_CR4_VMXE);
			x->vmfail = true;
			x->insn_error = 0;
			return;
		}
	} else {
		asm volatile("vmptrst %0" : "=m" (prev_vmcs) :: "memory");
		vmx_foreign_entries++;
	}
	if (vmx_vmclear(x->vmcs_pa) || vmx_vmptrld(x->vmcs_pa)) {
		x->vmfail = true;
		x->insn_error = 0;
		goto out;
	}
	vmx_write_host();
	vmx_vmcs_write(v);
	if (vmx_caps.ept) {
		eptp = mmu_root_hpa(v->vm->mmu) | VMX_EPTP_PWL_4 |
			VMX_EPTP_MT_WB;
		vmx_vmwrite(EPT_POINTER, eptp);
	}
	if (x->last_cpu != cpu || v->vm->mmu_flush || !x->vpid) {
		v->vm->mmu_flush = false;
		v->vm->flush_gva_pending = false;
		x->last_cpu = cpu;
		vmx_flush(x, eptp);
	} else if (v->vm->flush_gva_pending) {
		v->vm->flush_gva_pending = false;
		vmx_flush_gva(x, v->vm->flush_gva);
	}

	savesegment(ds, ds);
	savesegment(es, es);
	savesegment(fs, fs);
	savesegment(gs, gs);
	rdmsrl(MSR_FS_BASE, fs_base);
	for (i = 0; i < ARRAY_SIZE(vmx_switched_msrs); i++) {
		rdmsrl(vmx_switched_msrs[i], host_msr[i]);
		if (*vmx_switched_val(x, i) != host_msr[i])
			wrmsrl(vmx_switched_msrs[i], *vmx_switched_val(x, i));
	}

	/* VMX does not switch CR2; nothing of the host's needs it here. */
	if (read_cr2() != x->cr2)
		write_cr2(x->cr2);
	if (skiff_vmx_enter(v->gprs)) {
		x->vmfail = true;
		x->insn_error = vmx_vmread(VM_INSTRUCTION_ERROR);
	}

	x->cr2 = read_cr2();
	/*
	 * The exit loaded null DS/ES/FS/GS, FS and GS with the bases of
	 * our host fields. A 64-bit task's selectors are mostly null; any
	 * that is not is reloaded, and the bases that reload clobbers
	 * (FS's, and the user GS base in KERNEL_GS_BASE) are put back.
	 */
	if (ds)
		loadsegment(ds, ds);
	if (es)
		loadsegment(es, es);
	if (fs) {
		loadsegment(fs, fs);
		wrmsrl(MSR_FS_BASE, fs_base);
	}
	if (gs)
		load_gs_index(gs);
	for (i = 0; i < ARRAY_SIZE(vmx_switched_msrs); i++) {
		if (gs || *vmx_switched_val(x, i) != host_msr[i])
			wrmsrl(vmx_switched_msrs[i], host_msr[i]);
	}
	/*
	 * The exit also set TR's limit to 0x67 and GDTR's to 0xffff. 0x67
	 * covers the TSS but not its I/O bitmap, so a task using ioperm()
	 * would #GP on every port it was granted. As KVM's
	 * vmx_prepare_switch_to_host: invalidate_tss_limit() reloads TR
	 * now if this task has an I/O bitmap, else marks the limit stale
	 * so that the next switch to such a task reloads it (the kernel's
	 * own lazy scheme, exported for this); load_fixmap_gdt() puts the
	 * GDT's limit back, so no selector past the GDT reads beyond it.
	 */
	invalidate_tss_limit();
	load_fixmap_gdt(cpu);

	if (!x->vmfail)
		vmx_vmcs_read(v);
	vmx_vmclear(x->vmcs_pa);
out:
	if (own) {
		asm volatile("vmxoff" ::: "cc", "memory");
		cr4_clear_bits(X86_CR4_VMXE);
	} else if (prev_vmcs != -1ULL) {
		vmx_vmptrld(prev_vmcs);
	}
}

/* vmx_cpu_put - nothing stays on the CPU between entries. */
void vmx_cpu_put(struct skiff_vcpu *v)
{
}
