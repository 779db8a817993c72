// SPDX-License-Identifier: GPL-2.0
/*
 * The VMX backend: detection at load (CPUID, the feature-control MSR,
 * the capability MSRs), the I/O and MSR bitmaps, vCPU creation and one
 * guest entry (vmx_run). cpu.c holds the per-CPU side, vmcs.c the
 * guest state and state ioctls, exit.c the exit handlers.
 */
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/tsc.h>

#include "vmx.h"

struct vmx_caps vmx_caps;

/* I/O bitmaps A and B, MSR bitmap: every port and MSR exits. */
static struct page *vmx_io_a, *vmx_io_b, *vmx_msr_bitmap;
u64 vmx_io_a_pa, vmx_io_b_pa, vmx_msr_bitmap_pa;

/*
 * VPIDs come from the top of the range: kvm_intel hands its own out
 * from 1 upwards, and the two never meet while fewer than 32k vCPUs
 * of each exist. KVM's vmx.c owns the whole range instead.
 */
#define VMX_VPID_FIRST	0x8000
#define VMX_VPID_LAST	0xffff
static DEFINE_IDA(vmx_vpids);

/*
 * vmx_adjust - the controls wanted, within what the capability MSR
 * allows: its low word has the bits that must be 1, its high word the
 * bits that may be. -EIO if a required one is not allowed.
 */
static int vmx_adjust(u32 msr, u32 need, u32 want, u32 *out)
{
	u64 cap;
	u32 must, may;

	rdmsrl(msr, cap);
	must = (u32)cap;
	may = cap >> 32;
	if (need & ~may) {
		pr_info("skiff: VMX control MSR %#x lacks %#x\n", msr,
			need & ~may);
		return -EIO;
	}
	*out = ((need | want) & may) | must;
	return 0;
}

/* The primary controls' MSR: shadow paging adds exits to them. */
static u32 vmx_proc_msr;

static int vmx_caps_read(void)
{
	bool true_ctls;
	u64 basic;
	u32 pin_msr, proc_msr, exit_msr, entry_msr;
	int r;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmx_caps.revision = basic & 0x7fffffff;
	if ((basic >> VMX_BASIC_VMCS_SIZE_SHIFT & 0x1fff) > PAGE_SIZE ||
	    (basic & VMX_BASIC_64) ||
	    (basic & VMX_BASIC_MEM_TYPE_MASK) >> VMX_BASIC_MEM_TYPE_SHIFT !=
	    VMX_BASIC_MEM_TYPE_WB) {
		pr_info("skiff: VMX_BASIC %#llx is not supported\n", basic);
		return -EIO;
	}
	true_ctls = basic & VMX_BASIC_TRUE_CTLS;
	pin_msr = true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
		MSR_IA32_VMX_PINBASED_CTLS;
	proc_msr = true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
		MSR_IA32_VMX_PROCBASED_CTLS;
	vmx_proc_msr = proc_msr;
	exit_msr = true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
		MSR_IA32_VMX_EXIT_CTLS;
	entry_msr = true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
		MSR_IA32_VMX_ENTRY_CTLS;

	/*
	 * The host's interrupts and NMIs always end the guest; the
	 * preemption timer, where present, ends it every millisecond too
	 * (vmx_caps.preempt_ticks says why).
	 */
	r = vmx_adjust(pin_msr, PIN_BASED_EXT_INTR_MASK |
		       PIN_BASED_NMI_EXITING, PIN_BASED_VMX_PREEMPTION_TIMER,
		       &vmx_caps.pin);
	/*
	 * HLT, all port I/O (bitmaps of ones) and MSRs (bitmap of ones),
	 * the debug registers, and what would reach host state.
	 */
	if (!r)
		r = vmx_adjust(proc_msr, CPU_BASED_HLT_EXITING |
			       CPU_BASED_USE_IO_BITMAPS |
			       CPU_BASED_USE_MSR_BITMAPS |
			       CPU_BASED_MOV_DR_EXITING |
			       CPU_BASED_USE_TSC_OFFSETTING |
			       CPU_BASED_MWAIT_EXITING |
			       CPU_BASED_MONITOR_EXITING |
			       CPU_BASED_RDPMC_EXITING,
			       CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
			       &vmx_caps.proc);
	/* Host state is 64-bit; EFER and PAT switch with the guest's. */
	if (!r)
		r = vmx_adjust(exit_msr, VM_EXIT_HOST_ADDR_SPACE_SIZE |
			       VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_IA32_EFER |
			       VM_EXIT_LOAD_IA32_PAT | VM_EXIT_SAVE_IA32_PAT,
			       0, &vmx_caps.exit);
	if (!r)
		r = vmx_adjust(entry_msr, VM_ENTRY_LOAD_IA32_EFER |
			       VM_ENTRY_LOAD_IA32_PAT, 0, &vmx_caps.entry);
	if (r)
		return r;
	/* IA32E_MODE follows the guest's EFER.LMA at each entry. */
	vmx_caps.entry &= ~VM_ENTRY_IA32E_MODE;
	vmx_caps.exit &= ~VM_EXIT_ACK_INTR_ON_EXIT;

	vmx_caps.proc2 = 0;
	if (vmx_caps.proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) {
		r = vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS2, 0,
			       SECONDARY_EXEC_ENABLE_EPT |
			       SECONDARY_EXEC_UNRESTRICTED_GUEST |
			       SECONDARY_EXEC_ENABLE_VPID, &vmx_caps.proc2);
		if (r)
			return r;
		rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, vmx_caps.ept_vpid);
	}
	if (vmx_caps.pin & PIN_BASED_VMX_PREEMPTION_TIMER) {
		u64 misc;

		rdmsrl(MSR_IA32_VMX_MISC, misc);
		vmx_caps.preempt_ticks = ((u64)(tsc_khz ? tsc_khz : 1000000)) >>
			(misc & VMX_MISC_PREEMPTION_TIMER_RATE_MASK);
		if (!vmx_caps.preempt_ticks)
			vmx_caps.preempt_ticks = 1;
	}
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, vmx_caps.cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, vmx_caps.cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, vmx_caps.cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, vmx_caps.cr4_fixed1);
	return 0;
}

/*
 * EPT as kmod/mmu builds it: 4 levels, write-back tables, INVEPT of
 * one context or all. Unrestricted guest runs real mode and unpaged
 * protected mode without the vm86 tricks KVM keeps for old CPUs.
 * Without EPT (tdp=0 or none), shadow paging: MOV to and from CR3 and
 * INVLPG exit too, within what the capability MSR allows; real mode
 * then runs in virtual-8086 mode (paging.c), unrestricted guest
 * needing EPT.
 */
static int vmx_pick_paging(bool tdp)
{
	u64 c = vmx_caps.ept_vpid;
	bool ept = (vmx_caps.proc2 & SECONDARY_EXEC_ENABLE_EPT) &&
		(c & VMX_EPT_PAGE_WALK_4_BIT) && (c & VMX_EPTP_WB_BIT) &&
		(c & VMX_EPT_INVEPT_BIT) &&
		(c & (VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT));

	vmx_caps.ept = tdp && ept;
	vmx_caps.unrestricted = vmx_caps.ept &&
		(vmx_caps.proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST);
	vmx_caps.vpid = (vmx_caps.proc2 & SECONDARY_EXEC_ENABLE_VPID) &&
		(c & (VMX_VPID_INVVPID_BIT << 32)) &&
		(c & ((VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
		       VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT) << 32));
	if (!vmx_caps.ept)
		vmx_caps.proc2 &= ~(SECONDARY_EXEC_ENABLE_EPT |
				    SECONDARY_EXEC_UNRESTRICTED_GUEST);
	if (!vmx_caps.unrestricted)
		vmx_caps.proc2 &= ~SECONDARY_EXEC_UNRESTRICTED_GUEST;
	if (!vmx_caps.vpid)
		vmx_caps.proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	if (vmx_caps.ept)
		return 0;
	return vmx_adjust(vmx_proc_msr, vmx_caps.proc |
			  CPU_BASED_CR3_LOAD_EXITING |
			  CPU_BASED_CR3_STORE_EXITING |
			  CPU_BASED_INVLPG_EXITING, 0, &vmx_caps.proc);
}

static int vmx_maps_init(void)
{
	vmx_io_a = alloc_page(GFP_KERNEL);
	vmx_io_b = alloc_page(GFP_KERNEL);
	vmx_msr_bitmap = alloc_page(GFP_KERNEL);
	if (!vmx_io_a || !vmx_io_b || !vmx_msr_bitmap)
		return -ENOMEM;
	memset(page_address(vmx_io_a), 0xff, PAGE_SIZE);
	memset(page_address(vmx_io_b), 0xff, PAGE_SIZE);
	memset(page_address(vmx_msr_bitmap), 0xff, PAGE_SIZE);
	vmx_io_a_pa = page_to_phys(vmx_io_a);
	vmx_io_b_pa = page_to_phys(vmx_io_b);
	vmx_msr_bitmap_pa = page_to_phys(vmx_msr_bitmap);
	return 0;
}

static void vmx_maps_free(void)
{
	if (vmx_io_a)
		__free_page(vmx_io_a);
	if (vmx_io_b)
		__free_page(vmx_io_b);
	if (vmx_msr_bitmap)
		__free_page(vmx_msr_bitmap);
	vmx_io_a = vmx_io_b = vmx_msr_bitmap = NULL;
}

static void vmx_vcpu_free(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);

	if (x->vpid)
		ida_free(&vmx_vpids, x->vpid);
	free_page((unsigned long)x->pae_root);
	if (x->vmcs)
		__free_page(x->vmcs);
	kfree(x);
	v->arch = NULL;
}

static int vmx_vcpu_init(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = kzalloc(sizeof(*x), GFP_KERNEL_ACCOUNT);
	int id;

	if (!x)
		return -ENOMEM;
	v->arch = x;
	x->vmcs = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!x->vmcs) {
		vmx_vcpu_free(v);
		return -ENOMEM;
	}
	x->vmcs_pa = page_to_phys(x->vmcs);
	*(u32 *)page_address(x->vmcs) = vmx_caps.revision;
	/* Legacy PAE mode loads its PDPTEs from a 32-bit CR3: below 4G. */
	if (!vmx_caps.ept) {
		struct page *p = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO |
					    GFP_DMA32);

		if (!p) {
			vmx_vcpu_free(v);
			return -ENOMEM;
		}
		x->pae_root = page_address(p);
		x->pae_root_pa = page_to_phys(p);
	}
	if (vmx_caps.vpid) {
		id = ida_alloc_range(&vmx_vpids, VMX_VPID_FIRST, VMX_VPID_LAST,
				     GFP_KERNEL);
		/* Out of VPIDs: VPID 0, flushed at every entry and exit. */
		x->vpid = id < 0 ? 0 : id;
	}
	v->tsc_offset = -rdtsc();
	vmx_reset(v);
	return 0;
}

/*
 * PAE paging outside long mode: with EPT, VM entry loads the four
 * PDPTEs from the VMCS, not from memory, so they are read here.
 * (Without EPT it reads them from the PDPT that CR3 names.)
 */
static void vmx_load_pdptrs(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);

	memset(x->pdptr, 0, sizeof(x->pdptr));
	if (!vmx_caps.ept || !(x->cr0 & X86_CR0_PG) || !(x->cr4 & X86_CR4_PAE) ||
	    (x->efer & EFER_LMA))
		return;
	mutex_lock(&v->vm->lock);
	if (skiff_guest_read(v->vm, x->cr3 & ~0x1fULL, x->pdptr,
			     sizeof(x->pdptr)))
		memset(x->pdptr, 0, sizeof(x->pdptr));
	mutex_unlock(&v->vm->lock);
}

/* One entry and its exit (struct skiff_arch_ops.run). */
static int vmx_run(struct skiff_vcpu *v)
{
	int r;

	vmx_complete_io(v);
	if (!vmx_caps.ept) {
		r = vmx_shadow_pre_run(v);
		if (r <= 0)
			return r;
	}
	vmx_load_pdptrs(v);
	preempt_disable();
	local_irq_disable();
	if (!skiff_guest_enter(v)) {
		/* The MMU changed under us: take the root again. */
		local_irq_enable();
		preempt_enable();
		return 1;
	}
	skiff_guest_fpu_load();
	vmx_cpu_run(v);
	skiff_guest_exit(v);
	local_irq_enable();
	preempt_enable();
	return vmx_handle_exit(v);
}

static struct skiff_arch_ops vmx_ops = {
	.name = "vmx",
	.vcpu_init = vmx_vcpu_init,
	.vcpu_free = vmx_vcpu_free,
	.run = vmx_run,
	.vcpu_put = vmx_cpu_put,
	.get_regs = vmx_get_regs,
	.set_regs = vmx_set_regs,
	.get_sregs = vmx_get_sregs,
	.set_sregs = vmx_set_sregs,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
	.nr_msrs_to_save = SKIFF_NR_MSRS_TO_SAVE,
	.mmu_kind = MMU_KIND_EPT,
	.max_level = 2,
	.fetch = vmx_fetch,
	.code_mode = vmx_code_mode,
	.get_insn_regs = vmx_get_insn_regs,
	.put_insn_regs = vmx_put_insn_regs,
	.inject_pf = vmx_inject_pf,
};

/*
 * Linux locks IA32_FEATURE_CONTROL at boot with VMX enabled outside
 * SMX when it can (and clears X86_FEATURE_VMX when the firmware locked
 * it off); VMXON raises #GP unless it is so.
 */
static int vmx_detect(void)
{
	u64 fc;

	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_info("skiff: this CPU has no VMX\n");
		return -ENODEV;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	if (!(fc & FEAT_CTL_LOCKED) || !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_info("skiff: VMX is disabled by the feature-control MSR (%#llx)\n",
			fc);
		return -ENODEV;
	}
	return vmx_caps_read();
}

const struct skiff_arch_ops *skiff_vmx_init(bool tdp)
{
	int r = vmx_detect();

	if (r)
		return ERR_PTR(r);
	r = vmx_pick_paging(tdp);
	if (r)
		return ERR_PTR(r);
	vmx_caps.tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP) ||
			   boot_cpu_has(X86_FEATURE_RDPID);
	vmx_ops.nr_msrs_to_save = SKIFF_NR_MSRS_TO_SAVE - !vmx_caps.tsc_aux;
	vmx_ops.mmu_kind = vmx_caps.ept ? MMU_KIND_EPT : MMU_KIND_SHADOW;
	/* A 2 MiB EPT entry is a misconfiguration where the CPU lacks it. */
	if (vmx_caps.ept && !(vmx_caps.ept_vpid & VMX_EPT_2MB_PAGE_BIT))
		vmx_ops.max_level = 1;
	r = vmx_maps_init();
	if (!r)
		r = vmx_cpu_init();
	if (r) {
		vmx_maps_free();
		return ERR_PTR(r);
	}
	pr_info("skiff: VMX, %s paging, %sVPID, %sunrestricted guest\n",
		vmx_caps.ept ? "EPT" : "shadow", vmx_caps.vpid ? "" : "no ",
		vmx_caps.unrestricted ? "" : "no ");
	return &vmx_ops;
}

void skiff_vmx_exit(void)
{
	vmx_cpu_exit();
	vmx_maps_free();
	ida_destroy(&vmx_vpids);
}
