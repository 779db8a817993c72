// SPDX-License-Identifier: GPL-2.0
/*
 * The CPUID a guest sees: KVM_GET_SUPPORTED_CPUID offers the host's
 * leaves cut down to what skiff virtualizes, KVM_SET_CPUID2 stores the
 * monitor's table, and the CPUID exit answers from it.
 *
 * What is left out, and why: no local APIC or x2APIC (unikernels take
 * no interrupts here), no XSAVE/AVX (the guest keeps the host's XCR0;
 * its whole XSAVE state is still switched, so nothing leaks, but
 * XSETBV is refused), no RDTSCP/RDPID (TSC_AUX is not switched), no
 * MONITOR/MWAIT, VMX or SVM, no PMU, no MCE/MCA.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "skiff.h"

/* The most entries one KVM_GET_SUPPORTED_CPUID answer holds here. */
#define SUPPORTED_NENT	12

/* Leaf 1 EDX: FPU PSE TSC MSR PAE CX8 PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2 */
#define LEAF1_EDX	(BIT(0) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(8) | \
			 BIT(13) | BIT(15) | BIT(16) | BIT(17) | BIT(19) |    \
			 BIT(23) | BIT(24) | BIT(25) | BIT(26))
/* Leaf 1 ECX: SSE3 PCLMUL SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES RDRAND */
#define LEAF1_ECX	(BIT(0) | BIT(1) | BIT(9) | BIT(13) | BIT(19) |       \
			 BIT(20) | BIT(22) | BIT(23) | BIT(25) | BIT(30))
#define LEAF1_ECX_HYPERVISOR	BIT(31)
/* Leaf 7.0 EBX: FSGSBASE BMI1 SMEP BMI2 ERMS RDSEED ADX SMAP */
#define LEAF7_EBX	(BIT(0) | BIT(3) | BIT(7) | BIT(8) | BIT(9) |         \
			 BIT(18) | BIT(19) | BIT(20))
/* 0x80000001 EDX: SYSCALL NX PDPE1GB LM; ECX: LAHF ABM SSE4A PREFETCHW */
#define EXT1_EDX	(BIT(11) | BIT(20) | BIT(26) | BIT(29))
#define EXT1_ECX	(BIT(0) | BIT(5) | BIT(6) | BIT(8))
/* The guest-physical width the MMU core assumes (MMU_MAXPHYADDR). */
#define GUEST_ADDR_SIZES	((48 << 8) | MMU_MAXPHYADDR)

static void host_leaf(struct kvm_cpuid_entry2 *e, u32 fn, u32 idx)
{
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	cpuid_count(fn, idx, &e->eax, &e->ebx, &e->ecx, &e->edx);
}

static void filter_leaf(struct kvm_cpuid_entry2 *e)
{
	switch (e->function) {
	case 0:
		e->eax = min_t(u32, e->eax, 7);
		break;
	case 1:
		e->ebx &= 0xffff;		/* no APIC id, one logical CPU */
		e->ecx = (e->ecx & LEAF1_ECX) | LEAF1_ECX_HYPERVISOR;
		e->edx &= LEAF1_EDX;
		break;
	case 7:
		e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		e->eax = 0;
		e->ebx &= LEAF7_EBX;
		e->ecx = 0;
		e->edx = 0;
		break;
	case 0x80000000:
		e->eax = min_t(u32, e->eax, 0x80000008);
		break;
	case 0x80000001:
		e->eax = 0;
		e->ebx = 0;
		e->ecx &= EXT1_ECX;
		e->edx &= EXT1_EDX;
		break;
	case 0x80000008:
		e->eax = GUEST_ADDR_SIZES;
		e->ebx = 0;
		e->ecx = 0;
		e->edx = 0;
		break;
	}
}

static u32 supported_leaves(struct kvm_cpuid_entry2 *out)
{
	static const u32 fns[] = { 0, 1, 7, 0x80000000, 0x80000001,
				   0x80000002, 0x80000003, 0x80000004,
				   0x80000008 };
	u32 max_basic = cpuid_eax(0), max_ext = cpuid_eax(0x80000000);
	u32 i, n = 0;

	for (i = 0; i < ARRAY_SIZE(fns); i++) {
		u32 fn = fns[i];

		if (fn < 0x80000000 ? fn > max_basic : fn > max_ext)
			continue;
		host_leaf(&out[n], fn, 0);
		filter_leaf(&out[n]);
		n++;
	}
	return n;
}

/*
 * skiff_get_supported_cpuid - KVM_GET_SUPPORTED_CPUID: as KVM, -E2BIG
 * when the caller's nent cannot hold the table; nent is set on return.
 */
int skiff_get_supported_cpuid(struct kvm_cpuid2 __user *uc)
{
	struct kvm_cpuid_entry2 table[SUPPORTED_NENT];
	struct kvm_cpuid2 head;
	u32 n;

	if (copy_from_user(&head, uc, sizeof(head)))
		return -EFAULT;
	n = supported_leaves(table);
	if (head.nent < n)
		return -E2BIG;
	if (copy_to_user(uc->entries, table, n * sizeof(table[0])) ||
	    put_user(n, &uc->nent))
		return -EFAULT;
	return 0;
}

/* KVM_SET_CPUID2: the monitor's table replaces the vCPU's. */
int skiff_set_cpuid2(struct skiff_vcpu *v, struct kvm_cpuid2 __user *uc)
{
	struct kvm_cpuid_entry2 *e = NULL;
	struct kvm_cpuid2 head;

	if (copy_from_user(&head, uc, sizeof(head)))
		return -EFAULT;
	if (head.nent > SKIFF_MAX_CPUID)
		return -E2BIG;
	if (head.nent) {
		e = memdup_user(uc->entries, head.nent * sizeof(*e));
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	kfree(v->cpuid);
	v->cpuid = e;
	v->cpuid_nent = head.nent;
	return 0;
}

/*
 * skiff_cpuid - the CPUID instruction for fn.idx: the matching entry of
 * the table, or zeros (an AMD CPU's answer for a leaf it lacks).
 */
void skiff_cpuid(struct skiff_vcpu *v, u32 fn, u32 idx, u32 out[4])
{
	u32 i;

	for (i = 0; i < v->cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &v->cpuid[i];

		if (e->function != fn)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != idx)
			continue;
		out[0] = e->eax;
		out[1] = e->ebx;
		out[2] = e->ecx;
		out[3] = e->edx;
		return;
	}
	out[0] = out[1] = out[2] = out[3] = 0;
}
