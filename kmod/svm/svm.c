// SPDX-License-Identifier: GPL-2.0
/*
 * The SVM backend: detection at load, the I/O and MSR permission maps,
 * vCPU creation and one guest entry (svm_run). cpu.c holds the per-CPU
 * side, vmcb.c the VMCB and state ioctls, exit.c the exit handlers.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>

#include "svm.h"

static bool npt = true;
module_param(npt, bool, 0444);
MODULE_PARM_DESC(npt, "nested paging (1, default) or shadow paging (0)");

struct svm_caps svm_caps;

/* I/O permission map: 12 KiB, every port intercepted. */
#define IOPM_ORDER	2
/* MSR permission map: 8 KiB, every MSR intercepted but those below. */
#define MSRPM_ORDER	1

static struct page *svm_iopm, *svm_msrpm;
u64 svm_iopm_pa, svm_msrpm_pa;

/* The x86 CPUID bits of leaf 0x8000000A EDX that matter here. */
#define SVM_FEAT_NP		BIT(0)
#define SVM_FEAT_NRIPS		BIT(3)
#define SVM_FEAT_DECODE_ASSISTS	BIT(7)
#define SVM_FEAT_FLUSH_BY_ASID	BIT(6)

/*
 * MSRs the guest reads and writes directly: VMLOAD/VMSAVE switch them
 * with the rest of the guest's state, so the host's are never exposed.
 */
static const u32 svm_direct_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR,
	MSR_CSTAR, MSR_SYSCALL_MASK, MSR_IA32_SYSENTER_CS,
	MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

/* Two bits per MSR (read, write) in three 2 KiB ranges (APM 15.11). */
static void msrpm_allow(u8 *pm, u32 msr)
{
	u32 base, bit;

	if (msr < 0x2000)
		base = 0;
	else if (msr - 0xc0000000 < 0x2000)
		base = 0x800 * 8, msr -= 0xc0000000;
	else
		base = 0x1000 * 8, msr -= 0xc0010000;
	bit = base + msr * 2;
	pm[bit / 8] &= ~(3 << (bit % 8));
}

static int svm_maps_init(void)
{
	u32 i;

	svm_iopm = alloc_pages(GFP_KERNEL, IOPM_ORDER);
	svm_msrpm = alloc_pages(GFP_KERNEL, MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm)
		return -ENOMEM;
	memset(page_address(svm_iopm), 0xff, PAGE_SIZE << IOPM_ORDER);
	memset(page_address(svm_msrpm), 0xff, PAGE_SIZE << MSRPM_ORDER);
	for (i = 0; i < ARRAY_SIZE(svm_direct_msrs); i++)
		msrpm_allow(page_address(svm_msrpm), svm_direct_msrs[i]);
	svm_iopm_pa = svm_page_pa(svm_iopm);
	svm_msrpm_pa = svm_page_pa(svm_msrpm);
	return 0;
}

static void svm_maps_free(void)
{
	if (svm_iopm)
		__free_pages(svm_iopm, IOPM_ORDER);
	if (svm_msrpm)
		__free_pages(svm_msrpm, MSRPM_ORDER);
	svm_iopm = svm_msrpm = NULL;
}

static void svm_vcpu_free(struct skiff_vcpu *v)
{
	struct svm_vcpu *s = to_svm(v);

	free_page((unsigned long)s->pae_root);
	free_page((unsigned long)s->vmcb);
	kfree(s);
	v->arch = NULL;
}

static int svm_vcpu_init(struct skiff_vcpu *v)
{
	struct svm_vcpu *s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	struct page *page;

	if (!s)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(s);
		return -ENOMEM;
	}
	s->vmcb = page_address(page);
	s->vmcb_pa = svm_page_pa(page);
	v->arch = s;
	/* Legacy PAE mode loads CR3 as 32 bits: the PDPT lives below 4G. */
	if (!svm_caps.npt) {
		page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO | GFP_DMA32);
		if (!page) {
			svm_vcpu_free(v);
			return -ENOMEM;
		}
		s->pae_root = page_address(page);
		s->pae_root_pa = svm_page_pa(page);
	}
	/* As KVM: the guest's TSC reads 0 when its vCPU is made. */
	v->tsc_offset = -rdtsc();
	svm_vmcb_init(v);
	return 0;
}


/* One entry and its exit (struct skiff_arch_ops.run). */
static int svm_run(struct skiff_vcpu *v)
{
	struct svm_vcpu *s = to_svm(v);

	int r;

	svm_complete_io(v);
	if (svm_caps.npt) {
		/* TDP keeps one root for the VM's life. */
		s->vmcb->control.nested_cr3 = mmu_root_hpa(v->vm->mmu);
	} else {
		r = svm_shadow_pre_run(v);
		if (r)
			return r;
	}
	/*
	 * Host interrupts must end the guest whatever its EFLAGS.IF: with
	 * V_INTR_MASKING clear, a guest spinning with IF=0 would hold the
	 * CPU for good. Set at every entry, not only in svm_vmcb_init:
	 * QEMU's TCG writes its own int_ctl (0) over ours when it refuses
	 * a VMRUN before loading the VMCB's (a CR4 bit its CPU lacks, say),
	 * and the next entry then froze the lab (docs/testing.md).
	 */
	s->vmcb->control.int_ctl |= V_INTR_MASKING_MASK;
	preempt_disable();
	svm_cpu_pre_run(v);
	local_irq_disable();
	if (!skiff_guest_enter(v)) {
		/* The MMU changed under us: take the root again. */
		local_irq_enable();
		preempt_enable();
		return 1;
	}
	skiff_guest_fpu_load();
	svm_cpu_run(v);
	skiff_guest_exit(v);
	local_irq_enable();
	preempt_enable();
	return svm_handle_exit(v);
}

static struct skiff_arch_ops svm_ops = {
	.name = "svm",
	.vcpu_init = svm_vcpu_init,
	.vcpu_free = svm_vcpu_free,
	.run = svm_run,
	.vcpu_put = svm_cpu_put,
	.get_regs = svm_get_regs,
	.set_regs = svm_set_regs,
	.get_sregs = svm_get_sregs,
	.set_sregs = svm_set_sregs,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.nr_msrs_to_save = SKIFF_NR_MSRS_TO_SAVE,
	.mmu_kind = MMU_KIND_NPT,
	/* NPT's tables are the host's long-mode ones: 2 MiB always. */
	.max_level = 2,
	.fetch = svm_fetch,
	.code_mode = svm_code_mode,
	.get_insn_regs = svm_get_insn_regs,
	.put_insn_regs = svm_put_insn_regs,
	.inject_pf = svm_inject_pf,
};

static int svm_detect(bool tdp)
{
	u32 eax, ebx, ecx, edx;
	u64 vm_cr;

	if (!boot_cpu_has(X86_FEATURE_SVM)) {
		pr_info("skiff: this CPU has no SVM\n");
		return -ENODEV;
	}
	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVM_DIS_MASK) {
		pr_info("skiff: SVM is disabled by the firmware\n");
		return -ENODEV;
	}
	cpuid(SVM_CPUID_FUNC, &eax, &ebx, &ecx, &edx);
	svm_caps.max_asid = ebx - 1;
	svm_caps.nrips = edx & SVM_FEAT_NRIPS;
	svm_caps.flush_by_asid = edx & SVM_FEAT_FLUSH_BY_ASID;
	svm_caps.decode_assists = edx & SVM_FEAT_DECODE_ASSISTS;
	svm_caps.npt = npt && tdp && (edx & SVM_FEAT_NP);
	svm_caps.tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP) ||
			   boot_cpu_has(X86_FEATURE_RDPID);
	svm_ops.nr_msrs_to_save = SKIFF_NR_MSRS_TO_SAVE - !svm_caps.tsc_aux;
	svm_ops.mmu_kind = svm_caps.npt ? MMU_KIND_NPT : MMU_KIND_SHADOW;
	if (svm_caps.max_asid < 1) {
		pr_info("skiff: SVM offers no guest ASID\n");
		return -ENODEV;
	}
	return 0;
}

const struct skiff_arch_ops *skiff_svm_init(bool tdp)
{
	int r = svm_detect(tdp);

	if (r)
		return ERR_PTR(r);
	r = svm_maps_init();
	if (!r)
		r = svm_cpu_init();
	if (r) {
		svm_maps_free();
		return ERR_PTR(r);
	}
	pr_info("skiff: SVM, %u ASIDs, %s paging, %sNRIPS, %sdecode assists\n",
		svm_caps.max_asid, svm_caps.npt ? "nested" : "shadow",
		svm_caps.nrips ? "" : "no ", svm_caps.decode_assists ? "" : "no ");
	return &svm_ops;
}

void skiff_svm_exit(void)
{
	svm_cpu_exit();
	svm_maps_free();
}
