// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU state a migration saves and restores besides registers:
 * MSRs (KVM_GET_MSR_INDEX_LIST, KVM_GET/SET_MSRS) and the FPU
 * (KVM_GET/SET_FPU). The guest sees no XSAVE (cpuid.c) and may not set
 * CR4.OSXSAVE, so the legacy FXSAVE area is its whole FPU state.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/types.h>
#include <asm/msr-index.h>

#include "skiff.h"

/* As KVM's KVM_MAX_MSR_ENTRIES: one call moves at most this many. */
#define SKIFF_MAX_MSR_ENTRIES	256

/*
 * What KVM_GET_MSR_INDEX_LIST offers on either vendor: all of these
 * save and restore. A backend offers TSC_AUX, the last, only where
 * the CPU has it (nr_msrs_to_save).
 */
const u32 skiff_msrs_to_save[SKIFF_NR_MSRS_TO_SAVE] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
	MSR_IA32_TSC, MSR_IA32_CR_PAT, MSR_EFER, MSR_TSC_AUX,
};

/* A PAT value the CPU would take: each entry a defined memory type. */
bool skiff_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (8 * i);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

/*
 * skiff_get_msr_index_list - as KVM: -E2BIG with nmsrs set to the
 * count when the caller's array is too small.
 */
long skiff_get_msr_index_list(struct kvm_msr_list __user *ul)
{
	u32 n = skiff_arch->nr_msrs_to_save, have;

	if (get_user(have, &ul->nmsrs) || put_user(n, &ul->nmsrs))
		return -EFAULT;
	if (have < n)
		return -E2BIG;
	if (copy_to_user(ul->indices, skiff_msrs_to_save,
			 n * sizeof(u32)))
		return -EFAULT;
	return 0;
}

/*
 * skiff_vcpu_msrs - KVM_GET_MSRS or KVM_SET_MSRS: returns how many
 * entries were done, stopping at the first MSR the vCPU refuses.
 */
long skiff_vcpu_msrs(struct skiff_vcpu *v, struct kvm_msrs __user *um,
		     bool set)
{
	struct kvm_msr_entry *e;
	struct kvm_msrs head;
	long r;
	u32 i;

	if (copy_from_user(&head, um, sizeof(head)))
		return -EFAULT;
	if (head.nmsrs >= SKIFF_MAX_MSR_ENTRIES)
		return -E2BIG;
	e = memdup_user(um->entries, head.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < head.nmsrs; i++) {
		if (set ? skiff_arch->set_msr(v, e[i].index, e[i].data) :
			  skiff_arch->get_msr(v, e[i].index, &e[i].data))
			break;
	}
	r = i;
	if (!set && copy_to_user(um->entries, e, i * sizeof(*e)))
		r = -EFAULT;
	kfree(e);
	return r;
}

static struct fxregs_state *guest_fxsave(struct skiff_vcpu *v)
{
	return &v->fpu.fpstate->regs.fxsave;
}

long skiff_vcpu_get_fpu(struct skiff_vcpu *v, struct kvm_fpu __user *uf)
{
	struct fxregs_state *fx = guest_fxsave(v);
	struct kvm_fpu f;

	memset(&f, 0, sizeof(f));
	memcpy(f.fpr, fx->st_space, sizeof(f.fpr));
	f.fcw = fx->cwd;
	f.fsw = fx->swd;
	f.ftwx = fx->twd;
	f.last_opcode = fx->fop;
	f.last_ip = fx->rip;
	f.last_dp = fx->rdp;
	memcpy(f.xmm, fx->xmm_space, sizeof(f.xmm));
	f.mxcsr = fx->mxcsr;
	return copy_to_user(uf, &f, sizeof(f)) ? -EFAULT : 0;
}

/* The MXCSR_MASK a CPU reports as 0 means this one (SDM 10.5.1.2). */
#define MXCSR_DEFAULT_MASK	0xffbf

/*
 * MXCSR bits the CPU would #GP on at the next FXRSTOR are refused:
 * KVM takes them and the kernel then warns and resets the FPU.
 */
long skiff_vcpu_set_fpu(struct skiff_vcpu *v, struct kvm_fpu __user *uf)
{
	struct fxregs_state *fx = guest_fxsave(v);
	u32 mask = fx->mxcsr_mask ?: MXCSR_DEFAULT_MASK;
	struct kvm_fpu f;

	if (copy_from_user(&f, uf, sizeof(f)))
		return -EFAULT;
	if (f.mxcsr & ~mask)
		return -EINVAL;
	memcpy(fx->st_space, f.fpr, sizeof(f.fpr));
	fx->cwd = f.fcw;
	fx->swd = f.fsw;
	fx->twd = f.ftwx;
	fx->fop = f.last_opcode;
	fx->rip = f.last_ip;
	fx->rdp = f.last_dp;
	memcpy(fx->xmm_space, f.xmm, sizeof(f.xmm));
	fx->mxcsr = f.mxcsr;
	return 0;
}
