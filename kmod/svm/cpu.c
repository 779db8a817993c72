// SPDX-License-Identifier: GPL-2.0
/*
 * The per-CPU side of SVM: what the CPU offers, the host save areas,
 * ASIDs, and the EFER.SVME / VM_HSAVE_PA handover around our VMRUN.
 *
 * Sharing the CPU with kvm_amd: both use EFER.SVME and VM_HSAVE_PA per
 * CPU, and kvm_amd clears SVME when its last VM ends (6.1 enables SVM
 * only while it has VMs). skiff owns neither: it sets SVME and its own
 * host save area only for the span of one VMRUN, with interrupts off,
 * and puts back what it found. KVM instead turns SVM on per CPU when
 * its first VM is made and keeps it; that would leave kvm_amd's
 * VM_HSAVE_PA pointing at our page, or clear SVME under its guests.
 *
 * ASIDs are per CPU, handed out in generations as KVM does. They are
 * not coordinated with kvm_amd's. When SVME was already on at entry,
 * another hypervisor is active on this CPU: our entry flushes every
 * ASID, so no TLB entry of theirs serves our guest, and when our vCPU
 * leaves the CPU (svm_cpu_put) one more VMRUN, of a VMCB whose nested
 * tables are empty so it exits at its first fetch, flushes every ASID
 * again, so no entry of ours serves theirs. It costs nothing while
 * kvm_amd has no VM (SVME off at our entry); kvm_amd flushes every ASID
 * itself when it starts a VM.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>

#include "svm.h"

struct svm_cpu {
	struct page *hsave;	/* VM_HSAVE_PA while our guest runs */
	struct page *host_save;	/* VMSAVE/VMLOAD area of the host */
	u32 next_asid;
	u64 asid_gen;
	bool foreign_tlb;	/* our entries sit in a shared TLB */
	bool host_tsc_aux_read;
	u32 host_tsc_aux;	/* Linux's (node << 12 | cpu), set at boot */
};

static DEFINE_PER_CPU(struct svm_cpu, svm_cpus);

/* The TLB hand-back's VMCB and its empty nested root, one each. */
static struct page *flush_vmcb_page, *flush_root_page;
static DEFINE_SPINLOCK(flush_lock);

/* Seen in /sys/module/skiff/parameters (tests/kmod/coexist reads them). */
static unsigned long tlb_handbacks, tlb_handback_events, tlb_handback_errors;
module_param(tlb_handbacks, ulong, 0444);
MODULE_PARM_DESC(tlb_handbacks, "TLB flushes handed back to another hypervisor");
module_param(tlb_handback_events, ulong, 0444);
MODULE_PARM_DESC(tlb_handback_events, "hand-back VMRUNs a host interrupt ended first");
module_param(tlb_handback_errors, ulong, 0444);
MODULE_PARM_DESC(tlb_handback_errors, "hand-back VMRUNs that did not end in an NPF or a host event");

static void svm_cpu_free_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpus, cpu);

		if (sd->hsave)
			__free_page(sd->hsave);
		if (sd->host_save)
			__free_page(sd->host_save);
		sd->hsave = NULL;
		sd->host_save = NULL;
	}
	if (flush_vmcb_page)
		__free_page(flush_vmcb_page);
	if (flush_root_page)
		__free_page(flush_root_page);
	flush_vmcb_page = flush_root_page = NULL;
}

int svm_cpu_init(void)
{
	int cpu;

	flush_vmcb_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	flush_root_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!flush_vmcb_page || !flush_root_page)
		goto err;
	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpus, cpu);
		int node = cpu_to_node(cpu);

		sd->hsave = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
		sd->host_save = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO,
						 0);
		if (!sd->hsave || !sd->host_save)
			goto err;
		/* The first entry on each CPU starts a generation. */
		sd->next_asid = svm_caps.max_asid + 1;
		sd->asid_gen = 1;
	}
	return 0;
err:
	svm_cpu_free_pages();
	return -ENOMEM;
}

void svm_cpu_exit(void)
{
	svm_cpu_free_pages();
}

static void svm_tlb_flush(struct vmcb *vmcb, u8 how)
{
	if (how == TLB_CONTROL_FLUSH_ALL_ASID ||
	    vmcb->control.tlb_ctl == TLB_CONTROL_DO_NOTHING)
		vmcb->control.tlb_ctl = how;
}

/*
 * svm_cpu_pre_run - with preemption off: make the vCPU's ASID valid on
 * this CPU, and take a flush the MMU asked for.
 */
void svm_cpu_pre_run(struct skiff_vcpu *v)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpus);
	struct svm_vcpu *s = to_svm(v);
	int cpu = smp_processor_id();

	if (s->last_cpu != cpu || s->asid_gen != sd->asid_gen) {
		if (sd->next_asid > svm_caps.max_asid) {
			sd->asid_gen++;
			sd->next_asid = 1;
			svm_tlb_flush(s->vmcb, TLB_CONTROL_FLUSH_ALL_ASID);
		}
		s->vmcb->control.asid = sd->next_asid++;
		s->asid_gen = sd->asid_gen;
		s->last_cpu = cpu;
	}
	/* SVM flushes no single address of an ASID here: all of it. */
	if (v->vm->mmu_flush || v->vm->flush_gva_pending) {
		v->vm->mmu_flush = false;
		v->vm->flush_gva_pending = false;
		svm_tlb_flush(s->vmcb, svm_caps.flush_by_asid ?
			      TLB_CONTROL_FLUSH_ASID :
			      TLB_CONTROL_FLUSH_ALL_ASID);
	}
}

/*
 * One VMRUN of vmcb with SVM borrowed on this CPU and handed back as
 * found. Interrupts off. When SVME was on before, another hypervisor
 * is active here: its TLB entries must not serve this VMRUN's guest,
 * so every ASID is flushed. Returns whether that was so.
 */
static bool svm_cpu_vmrun(struct svm_cpu *sd, struct vmcb *vmcb,
			  u64 vmcb_pa, u64 *gprs)
{
	u64 efer, hsave;
	bool foreign;

	rdmsrl(MSR_EFER, efer);
	rdmsrl(MSR_VM_HSAVE_PA, hsave);
	foreign = efer & EFER_SVME;
	if (foreign)
		svm_tlb_flush(vmcb, TLB_CONTROL_FLUSH_ALL_ASID);
	else
		wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, svm_page_pa(sd->hsave));

	asm volatile("clgi" ::: "memory");
	skiff_svm_vmrun(vmcb_pa, svm_page_pa(sd->host_save), gprs);
	asm volatile("stgi" ::: "memory");

	wrmsrl(MSR_VM_HSAVE_PA, hsave);
	if (!foreign)
		wrmsrl(MSR_EFER, efer);
	return foreign;
}

/*
 * The guest's TSC_AUX for its RDPID, which SVM cannot intercept; the
 * host's (what vgetcpu() reads in user space) comes back right after
 * the VMRUN. Linux writes its value once per CPU at boot, so it is read
 * once. The kernel itself never reads TSC_AUX (since 5.9 its paranoid
 * entry does not use RDPID, because KVM leaves a guest's value loaded),
 * so an NMI between the two writes finds nothing wrong. Returns
 * whether the host's value is to be put back.
 */
static bool svm_cpu_load_tsc_aux(struct svm_cpu *sd, struct svm_vcpu *s)
{
	if (!svm_caps.tsc_aux)
		return false;
	if (!sd->host_tsc_aux_read) {
		sd->host_tsc_aux = (u32)native_read_msr(MSR_TSC_AUX);
		sd->host_tsc_aux_read = true;
	}
	if (s->tsc_aux == sd->host_tsc_aux)
		return false;
	wrmsrl(MSR_TSC_AUX, s->tsc_aux);
	return true;
}

/* svm_cpu_run - with interrupts off: the vCPU's VMRUN on this CPU. */
void svm_cpu_run(struct skiff_vcpu *v)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpus);
	struct svm_vcpu *s = to_svm(v);
	bool tsc_aux = svm_cpu_load_tsc_aux(sd, s);

	if (svm_cpu_vmrun(sd, s->vmcb, s->vmcb_pa, v->gprs))
		sd->foreign_tlb = true;
	if (tsc_aux)
		wrmsrl(MSR_TSC_AUX, sd->host_tsc_aux);
	s->vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;
}

/* How a hand-back VMRUN ended: its fetch faulted, or a host event came. */
static void svm_handback_count(u64 code)
{
	tlb_handbacks++;
	if (code == SVM_EXIT_INTR || code == SVM_EXIT_NMI ||
	    code == SVM_EXIT_SMI || code == SVM_EXIT_INIT)
		tlb_handback_events++;
	else if (code != SVM_EXIT_NPF)
		tlb_handback_errors++;
}

/*
 * svm_cpu_put - the vCPU leaves this CPU (preemption off): if another
 * hypervisor shares the TLB, flush every ASID before it runs again.
 */
void svm_cpu_put(struct skiff_vcpu *v)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpus);
	struct vmcb *vmcb = page_address(flush_vmcb_page);
	u64 gprs[SKIFF_NR_GPRS] = { 0 };
	unsigned long flags;

	if (!sd->foreign_tlb)
		return;
	sd->foreign_tlb = false;
	spin_lock_irqsave(&flush_lock, flags);
	svm_vmcb_init_flush(vmcb, svm_page_pa(flush_root_page),
			    svm_caps.max_asid);
	svm_cpu_vmrun(sd, vmcb, svm_page_pa(flush_vmcb_page), gprs);
	svm_handback_count(vmcb->control.exit_code);
	spin_unlock_irqrestore(&flush_lock, flags);
}
