// SPDX-License-Identifier: GPL-2.0
/*
 * Exits both vendor backends handle alike: MMIO, writes to guest page
 * tables that shadow paging write-protects, #PF on the shadow tables,
 * and fetching the instruction behind them through the guest's own
 * tables. A backend supplies what differs (where RIP, RSP, RAX and
 * RFLAGS live, the code segment, how #PF is delivered) through
 * struct skiff_arch_ops. The decoding itself is emulate.c, which stays
 * free of Linux headers so that it is unit-tested in userspace.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <asm/processor-flags.h>

#include "skiff.h"

/* An instruction skiff would have to emulate and cannot, as KVM says. */
int skiff_emulation_failed(struct skiff_vcpu *v)
{
	struct kvm_run *run = v->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 0;
	return 0;
}

/* skiff_guest_paging - a guest's paging state, as the MMU core wants it. */
void skiff_guest_paging(struct mmu_paging *pg, u64 cr0, u64 cr3, u64 cr4,
			u64 efer)
{
	memset(pg, 0, sizeof(*pg));
	if (!(cr0 & X86_CR0_PG))
		pg->mode = MMU_MODE_OFF;
	else if (efer & EFER_LMA)
		pg->mode = (cr4 & X86_CR4_LA57) ? MMU_MODE_LM5 : MMU_MODE_LM4;
	else if (cr4 & X86_CR4_PAE)
		pg->mode = MMU_MODE_PAE;
	else
		pg->mode = MMU_MODE_32;
	pg->wp = cr0 & X86_CR0_WP;
	pg->pse = cr4 & X86_CR4_PSE;
	pg->nxe = efer & EFER_NX;
	pg->smep = cr4 & X86_CR4_SMEP;
	pg->smap = cr4 & X86_CR4_SMAP;
	pg->cr3 = cr3;
}

/*
 * skiff_fetch - up to 15 instruction bytes at linear address va (CS
 * base + RIP) through the guest's tables pg, as a user fetch if cpl3.
 * Returns how many could be read (0: none). Under vm->lock.
 */
int skiff_fetch(struct skiff_vcpu *v, struct mmu_paging *pg, u64 va,
		bool cpl3, u8 *buf)
{
	u32 ec = PFERR_FETCH | (cpl3 ? PFERR_USER : 0);
	struct mmu_walk w;
	int got = 0;

	if (pg->mode == MMU_MODE_PAE && mmu_load_pdptes(v->vm->mmu, pg))
		return 0;
	while (got < 15) {
		u32 n = min_t(u32, 15 - got, PAGE_SIZE - offset_in_page(va));

		if (mmu_walk_guest(v->vm->mmu, pg, va, ec, &w, false))
			break;
		if (skiff_guest_read(v->vm, (w.gfn << PAGE_SHIFT) |
				     offset_in_page(va), buf + got, n))
			break;
		got += n;
		va += n;
	}
	return got;
}

/*
 * An access the MMU would not map, to memory a slot holds: a write to
 * a read-only slot is KVM_EXIT_MMIO, as KVM; otherwise the creator's
 * mapping refused it (read-only, or gone) and KVM_RUN fails with
 * EFAULT, as KVM's failed host translation does.
 */
static bool skiff_host_fault(struct skiff_vcpu *v, u64 gpa, bool write)
{
	struct skiff_memslot *s;
	bool r;

	mutex_lock(&v->vm->lock);
	s = skiff_memslot_of_gfn(v->vm, gpa >> PAGE_SHIFT);
	r = s && !(write && (s->flags & KVM_MEM_READONLY));
	mutex_unlock(&v->vm->lock);
	return r;
}

/* The access size of the instruction at RIP, or 0 if not decoded. */
static u32 skiff_access_size(struct skiff_vcpu *v)
{
	u8 buf[15];
	int n, size;

	mutex_lock(&v->vm->lock);
	n = skiff_arch->fetch(v, buf);
	mutex_unlock(&v->vm->lock);
	size = n ? skiff_decode_mem_size(buf, n, skiff_arch->code_mode(v)) : -1;
	return size > 0 ? size : 0;
}

/*
 * skiff_mmio_exit - an access the MMU would not map: no memory there
 * (KVM_EXIT_MMIO), or a write the creator's mapping refuses (-EFAULT).
 * len is the access size where the instruction decodes (MOV and the
 * like), else 0; data is not filled and the exit is not resumable:
 * no guest of ours has MMIO, and the monitor stops such a guest.
 */
int skiff_mmio_exit(struct skiff_vcpu *v, u64 gpa, bool write)
{
	if (skiff_host_fault(v, gpa, write))
		return -EFAULT;
	v->run->exit_reason = KVM_EXIT_MMIO;
	v->run->mmio.phys_addr = gpa;
	v->run->mmio.is_write = write;
	v->run->mmio.len = skiff_access_size(v);
	memset(v->run->mmio.data, 0, sizeof(v->run->mmio.data));
	return 0;
}

/*
 * A write to a guest page table the core write-protects: emulated when
 * the decoder knows the store, else the page is unprotected and the
 * guest retries it (KVM's reexecute_instruction). A retry at the same
 * RIP and address twice running means the write's own translation
 * re-shadows the page: that is an emulation failure, as on KVM.
 */
static int skiff_pt_write(struct skiff_vcpu *v, u64 gpa)
{
	struct skiff_insn_regs regs;
	struct skiff_store st;
	u64 old = 0;
	u8 buf[15];
	int n, r = -1;

	skiff_arch->get_insn_regs(v, &regs);
	mutex_lock(&v->vm->lock);
	n = skiff_arch->fetch(v, buf);
	skiff_guest_read(v->vm, gpa, &old, min_t(u64, 8,
			 PAGE_SIZE - offset_in_page(gpa)));
	if (n && !skiff_decode_store(buf, n, skiff_arch->code_mode(v), old,
				     regs.gprs, &regs.rflags, &st) &&
	    offset_in_page(gpa) + st.size <= PAGE_SIZE)
		r = mmu_emulate_write(v->vm->mmu, gpa, st.val, st.size);
	if (!r) {
		mutex_unlock(&v->vm->lock);
		skiff_arch->put_insn_regs(v, &regs, st.len);
		return 1;
	}
	if (v->retry_rip == regs.rip && v->retry_gpa == gpa) {
		mutex_unlock(&v->vm->lock);
		return skiff_emulation_failed(v);
	}
	v->retry_rip = regs.rip;
	v->retry_gpa = gpa;
	mmu_unprotect_gfn(v->vm->mmu, gpa >> PAGE_SHIFT);
	mutex_unlock(&v->vm->lock);
	return 1;
}

/*
 * skiff_shadow_pf - a #PF on the shadow tables (shadow paging only) at
 * linear address addr with error code ec: mapped, handed to the guest,
 * a page-table write, or MMIO. 1 to go on, 0 for userspace, or -errno.
 */
int skiff_shadow_pf(struct skiff_vcpu *v, u64 addr, u32 ec)
{
	enum mmu_fault_ret r;
	struct mmu_fault f;

	mutex_lock(&v->vm->lock);
	r = mmu_page_fault(v->vm->mmu, addr, ec, &f);
	mutex_unlock(&v->vm->lock);
	if (r != MMU_RET_EMULATE)
		skiff_pt_retry_reset(v);
	switch (r) {
	case MMU_RET_RETRY:
		return 1;
	case MMU_RET_INJECT:
		skiff_arch->inject_pf(v, addr, f.error_code);
		return 1;
	case MMU_RET_EMULATE:
		return skiff_pt_write(v, f.gpa);
	case MMU_RET_MMIO:
		return skiff_mmio_exit(v, f.gpa, ec & PFERR_WRITE);
	case MMU_RET_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}
