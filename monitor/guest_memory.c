/* SPDX-License-Identifier: ISC */
/*
 * Guest RAM: one memfd, zero-filled (old guests rely on zeroed new
 * boot-info fields and bss), mapped twice. KVM gets a view whose text and
 * rodata are read-only, which is how "text is read-only" reaches the
 * guest's second-stage mapping. The monitor keeps its own always-writable
 * view, so a guest that aims a hypercall's output at its own text gets a
 * clear error from guest_range_writable() instead of crashing us. The
 * memfd is what snapshots and migration will map later.
 *
 * Because the monitor's view is not the guest's, no device logs what the
 * monitor writes there: during a migration those pages are marked here.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "monitor.h"

int guest_mem_create(struct guest_mem *m, uint64_t size)
{
	memset(m, 0, sizeof(*m));
	m->host = m->kvm_view = MAP_FAILED;
	m->size = size;
	m->memfd = memfd_create("skiff-guest-ram", MFD_CLOEXEC);
	if (m->memfd < 0) {
		mon_err("guest memory: memfd_create: %s", strerror(errno));
		return -1;
	}
	if (ftruncate(m->memfd, size) < 0) {
		mon_err("guest memory: %llu MiB: %s",
			(unsigned long long)(size / MIB), strerror(errno));
		goto err;
	}
	m->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       m->memfd, 0);
	m->kvm_view = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   m->memfd, 0);
	if (m->host == MAP_FAILED || m->kvm_view == MAP_FAILED) {
		mon_err("guest memory: mmap %llu MiB: %s",
			(unsigned long long)(size / MIB), strerror(errno));
		goto err;
	}
	/* Everything below the kernel's base is the monitor's to write. */
	m->ro[0].start = 0;
	m->ro[0].end = HVT_GUEST_MIN_BASE;
	m->nro = 1;
	return 0;
err:
	guest_mem_destroy(m);
	return -1;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23	/* Linux 5.14 */
#endif

/*
 * Before a restore writes all of memory: the pages allocated and mapped
 * in one call, rather than one page fault each as the stream's pages
 * land (a quarter of a second per 256 MiB under nested paging, on the
 * critical path of a migration). Best effort: a kernel without it
 * faults them in as before.
 */
void guest_mem_populate(struct guest_mem *m)
{
	if (madvise(m->host, m->size, MADV_POPULATE_WRITE) < 0 &&
	    errno != EINVAL)
		mon_warn("guest memory: populating %llu MiB: %s",
			 (unsigned long long)(m->size / MIB), strerror(errno));
}

void guest_mem_destroy(struct guest_mem *m)
{
	if (m->host && m->host != MAP_FAILED)
		munmap(m->host, m->size);
	if (m->kvm_view && m->kvm_view != MAP_FAILED)
		munmap(m->kvm_view, m->size);
	if (m->memfd >= 0)
		close(m->memfd);
	free(m->written);
	m->host = m->kvm_view = NULL;
	m->written = NULL;
	m->memfd = -1;
}

int guest_mem_load(struct guest_mem *m, const struct elf_image *img,
		   const uint8_t *file)
{
	size_t i;

	for (i = 0; i < img->nseg; i++) {
		const struct elf_segment *s = &img->seg[i];

		/* elf_parse() checked both ranges; the RAM is zero-filled. */
		memcpy(m->host + s->vaddr, file + s->offset, s->filesz);
		if (s->flags & PF_W)
			continue;
		m->ro[m->nro].start = s->start;
		m->ro[m->nro].end = s->end;
		m->nro++;
	}
	return 0;
}

int guest_mem_protect(struct guest_mem *m)
{
	size_t i;

	/* ro[0], low memory, holds the guest's page tables: KVM writes A/D. */
	for (i = 1; i < m->nro; i++) {
		uint64_t start = m->ro[i].start, len = m->ro[i].end - start;

		if (mprotect(m->kvm_view + start, len, PROT_READ) < 0) {
			mon_err("guest memory: mprotect [0x%llx, 0x%llx): %s",
				(unsigned long long)start,
				(unsigned long long)m->ro[i].end,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

bool guest_range_ok(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	return gpa < m->size && len < m->size - gpa;
}

/* Does [gpa, gpa+len) touch one of ro[first..]? (no wrap: checked) */
static bool touches_ro(const struct guest_mem *m, size_t first, uint64_t gpa,
		       uint64_t len)
{
	size_t i;

	for (i = first; len && i < m->nro; i++)
		if (gpa < m->ro[i].end && gpa + len > m->ro[i].start)
			return true;
	return false;
}

bool guest_range_writable(const struct guest_mem *m, uint64_t gpa,
			  uint64_t len)
{
	return guest_range_ok(m, gpa, len) && !touches_ro(m, 0, gpa, len);
}

bool guest_gpa_protected(const struct guest_mem *m, uint64_t gpa)
{
	return gpa < m->size && touches_ro(m, 1, gpa, 1);
}

static size_t log_words(const struct guest_mem *m)
{
	return (m->size / GUEST_PAGE_SIZE + 63) / 64;
}

/*
 * The bitmap stays until guest_mem_destroy(): a mark decided just before
 * logging stopped may still be landing in it.
 */
int guest_mem_log_start(struct guest_mem *m)
{
	size_t i;

	if (!m->written) {
		m->written = calloc(log_words(m), sizeof(uint64_t));
		if (!m->written) {
			mon_err("guest memory: bitmap of written pages: %s",
				strerror(ENOMEM));
			return -1;
		}
	}
	for (i = 0; i < log_words(m); i++)
		__atomic_store_n(&m->written[i], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&m->logging, true, __ATOMIC_SEQ_CST);
	return 0;
}

void guest_mem_log_stop(struct guest_mem *m)
{
	__atomic_store_n(&m->logging, false, __ATOMIC_RELEASE);
}

void guest_mem_mark_written(struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t page, last;

	/*
	 * Orders the write just made before the look at @logging, against
	 * guest_mem_log_start()'s store: a write that finds logging off was
	 * complete before logging began, so the migration's first full copy
	 * of memory, which comes after, holds it.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!len || !__atomic_load_n(&m->logging, __ATOMIC_RELAXED) ||
	    !guest_range_ok(m, gpa, len - 1))
		return;
	page = gpa / GUEST_PAGE_SIZE;
	last = (gpa + len - 1) / GUEST_PAGE_SIZE;
	while (page <= last) {
		uint64_t bit = page % 64, n = 64 - bit;
		uint64_t mask;

		if (n > last - page + 1)
			n = last - page + 1;
		mask = (n == 64 ? ~0ull : (1ull << n) - 1) << bit;
		__atomic_fetch_or(&m->written[page / 64], mask,
				  __ATOMIC_RELEASE);
		page += n;
	}
}

void guest_mem_log_take(struct guest_mem *m, uint64_t *bitmap)
{
	size_t i;

	if (!m->written)
		return;
	for (i = 0; i < log_words(m); i++)
		if (__atomic_load_n(&m->written[i], __ATOMIC_RELAXED))
			bitmap[i] |= __atomic_exchange_n(&m->written[i], 0,
							 __ATOMIC_ACQUIRE);
}
