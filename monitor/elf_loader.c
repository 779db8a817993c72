/* SPDX-License-Identifier: ISC */
/*
 * The unikernel executable: a static x86-64 ELF checked against the hvt
 * loading rules (HVT_ABI.md §1), and its Solo5 ABI and manifest notes.
 * Only program headers are read. The file is untrusted: every offset and
 * size is checked against the file and the guest before it is used, with
 * arithmetic that cannot wrap.
 */
#include <elf.h>
#include <stdarg.h>
#include <string.h>

#include "monitor.h"

#define NOTE_HDR_SIZE		20	/* namesz, descsz, type, "Solo5\0\0\0" */

struct elf_ctx {
	const uint8_t *buf;
	size_t size;
	uint64_t mem_size;
	char *err;
	size_t errlen;
};

static int elf_error(struct elf_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int elf_error(struct elf_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Does [off, off+len) lie inside the file? */
static bool file_range_ok(const struct elf_ctx *c, uint64_t off, uint64_t len)
{
	return off <= c->size && len <= c->size - off;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int check_ehdr(struct elf_ctx *c, const Elf64_Ehdr *eh)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return elf_error(c, "not an ELF file (bad magic)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return elf_error(c, "not a 64-bit ELF file");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return elf_error(c, "not a little-endian ELF file");
	if (eh->e_ident[EI_VERSION] != EV_CURRENT ||
	    eh->e_version != EV_CURRENT)
		return elf_error(c, "unsupported ELF version");
	if (eh->e_type != ET_EXEC)
		return elf_error(c, "not a static executable (e_type %u)",
				 eh->e_type);
	if (eh->e_machine != EM_X86_64)
		return elf_error(c, "not an x86-64 executable (e_machine %u)",
				 eh->e_machine);
	if (eh->e_ehsize != sizeof(Elf64_Ehdr) ||
	    eh->e_phentsize != sizeof(Elf64_Phdr))
		return elf_error(c, "bad ELF header or program header size");
	if (eh->e_phnum < 1 || eh->e_phnum > ELF_MAX_PHDRS)
		return elf_error(c, "%u program headers, need 1 to %d",
				 eh->e_phnum, ELF_MAX_PHDRS);
	if (!file_range_ok(c, eh->e_phoff,
			   (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return elf_error(c, "program headers outside the file");
	return 0;
}

static int check_load_bounds(struct elf_ctx *c, const Elf64_Phdr *ph,
			     size_t idx)
{
	uint64_t a = ph->p_align;

	if (ph->p_vaddr < HVT_GUEST_MIN_BASE)
		return elf_error(c, "segment %zu: address 0x%llx below 0x%llx",
				 idx, (unsigned long long)ph->p_vaddr,
				 (unsigned long long)HVT_GUEST_MIN_BASE);
	if (a == 0 || (a & (a - 1)) || a > GUEST_LARGE_PAGE)
		return elf_error(c,
				 "segment %zu: alignment 0x%llx not a power of two up to 2 MiB",
				 idx, (unsigned long long)a);
	if (ph->p_filesz > ph->p_memsz)
		return elf_error(c, "segment %zu: file size exceeds memory size",
				 idx);
	if (ph->p_vaddr >= c->mem_size ||
	    ph->p_memsz > c->mem_size - ph->p_vaddr)
		return elf_error(c,
				 "segment %zu: [0x%llx, +0x%llx) does not fit in guest memory (0x%llx)",
				 idx, (unsigned long long)ph->p_vaddr,
				 (unsigned long long)ph->p_memsz,
				 (unsigned long long)c->mem_size);
	if (!file_range_ok(c, ph->p_offset, ph->p_filesz))
		return elf_error(c, "segment %zu: data outside the file", idx);
	if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
		return elf_error(c, "segment %zu: writable and executable (W^X)",
				 idx);
	return 0;
}

static int add_load(struct elf_ctx *c, const Elf64_Phdr *ph, size_t idx,
		    struct elf_image *img)
{
	struct elf_segment *s;
	uint64_t start, end;

	if (check_load_bounds(c, ph, idx))
		return -1;
	start = ph->p_vaddr & ~(ph->p_align - 1);
	end = align_up(ph->p_vaddr + ph->p_memsz, ph->p_align);
	if ((start | end) & (GUEST_PAGE_SIZE - 1))
		return elf_error(c, "segment %zu: not 4 KiB aligned", idx);
	if (start < HVT_GUEST_MIN_BASE || end > c->mem_size)
		return elf_error(c, "segment %zu: outside guest memory", idx);
	if (img->nseg) {
		const struct elf_segment *prev = &img->seg[img->nseg - 1];

		if (ph->p_vaddr < prev->vaddr)
			return elf_error(c, "segment %zu: segments not in ascending order",
					 idx);
		if (start < prev->end)
			return elf_error(c, "segment %zu: overlaps the previous segment",
					 idx);
	}
	if (img->nseg == ELF_MAX_LOADS)
		return elf_error(c, "more than %d loadable segments",
				 ELF_MAX_LOADS);
	s = &img->seg[img->nseg++];
	s->vaddr = ph->p_vaddr;
	s->filesz = ph->p_filesz;
	s->memsz = ph->p_memsz;
	s->offset = ph->p_offset;
	s->start = start;
	s->end = end;
	s->flags = ph->p_flags;
	if (end > img->kernel_end)
		img->kernel_end = end;
	return 0;
}

struct note_want {
	uint32_t type;
	uint32_t desc_max;
	uint32_t align;			/* C alignment of the payload */
	const char *what;
	const uint8_t *payload;
	size_t size;
};

/*
 * One PT_NOTE: only its first record counts (Solo5 gives each note its
 * own segment). Returns 0 and fills @w when the record is the wanted
 * note, 0 when it is some other note, -1 when it is malformed.
 */
static int read_note(struct elf_ctx *c, const Elf64_Phdr *ph,
		     struct note_want *w)
{
	const uint8_t *p;
	uint32_t hdr[3];
	uint64_t pad;

	if (!file_range_ok(c, ph->p_offset, ph->p_filesz))
		return elf_error(c, "note segment outside the file");
	if (ph->p_filesz < 12)
		return elf_error(c, "note segment too short");
	if (ph->p_filesz < NOTE_HDR_SIZE)
		return 0;
	p = c->buf + ph->p_offset;
	memcpy(hdr, p, sizeof(hdr));
	if (hdr[0] != sizeof(SOLO5_NOTE_NAME) || hdr[2] != w->type ||
	    memcmp(p + 12, SOLO5_NOTE_NAME, sizeof(SOLO5_NOTE_NAME)))
		return 0;
	if (w->payload)
		return elf_error(c, "two %s notes", w->what);
	pad = align_up(NOTE_HDR_SIZE, w->align) - NOTE_HDR_SIZE;
	if (hdr[1] <= pad || hdr[1] > w->desc_max)
		return elf_error(c, "%s note: bad size %u", w->what, hdr[1]);
	if (ph->p_filesz < NOTE_HDR_SIZE + (uint64_t)hdr[1])
		return elf_error(c, "%s note: truncated", w->what);
	w->payload = p + NOTE_HDR_SIZE + pad;
	w->size = hdr[1] - pad;
	return 0;
}

static int check_abi_note(struct elf_ctx *c, const struct note_want *abi)
{
	uint32_t v[2];

	if (!abi->payload)
		return elf_error(c, "not a Solo5 image: no ABI1 note");
	if (abi->size < sizeof(v))
		return elf_error(c, "ABI1 note: too short");
	memcpy(v, abi->payload, sizeof(v));
	if (v[0] != HVT_ABI_TARGET)
		return elf_error(c, "built for Solo5 target %u, not hvt (%d)",
				 v[0], HVT_ABI_TARGET);
	if (v[1] != HVT_ABI_VERSION)
		return elf_error(c, "unsupported hvt ABI version %u (need %d)",
				 v[1], HVT_ABI_VERSION);
	return 0;
}

static int read_notes(struct elf_ctx *c, const Elf64_Phdr *ph, size_t n,
		      struct elf_image *img)
{
	struct note_want abi = { SOLO5_NOTE_ABI, SOLO5_ABI_DESC_MAX, 4,
				 "ABI1", NULL, 0 };
	struct note_want mft = { SOLO5_NOTE_MFT, SOLO5_MFT_DESC_MAX, 8,
				 "MFT1", NULL, 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		if (read_note(c, &ph[i], &abi) || read_note(c, &ph[i], &mft))
			return -1;
	}
	if (check_abi_note(c, &abi))
		return -1;
	if (!mft.payload)
		return elf_error(c, "no Solo5 manifest (MFT1 note)");
	return manifest_parse(mft.payload, mft.size, &img->mft, c->err,
			      c->errlen);
}

static int check_entry_point(struct elf_ctx *c, const struct elf_image *img)
{
	size_t i;

	for (i = 0; i < img->nseg; i++) {
		const struct elf_segment *s = &img->seg[i];

		if ((s->flags & PF_X) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->filesz)
			return 0;
	}
	return elf_error(c, "entry point 0x%llx is not in an executable segment",
			 (unsigned long long)img->entry);
}

int elf_parse(const uint8_t *buf, size_t size, uint64_t mem_size,
	      struct elf_image *img, char *err, size_t errlen)
{
	struct elf_ctx c = { buf, size, mem_size, err, errlen };
	Elf64_Phdr ph[ELF_MAX_PHDRS];
	Elf64_Ehdr eh;
	size_t i;

	memset(img, 0, sizeof(*img));
	if (size < sizeof(eh))
		return elf_error(&c, "too short for an ELF header");
	memcpy(&eh, buf, sizeof(eh));
	if (check_ehdr(&c, &eh))
		return -1;
	memcpy(ph, buf + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));
	img->entry = eh.e_entry;
	if (eh.e_entry < HVT_GUEST_MIN_BASE || eh.e_entry >= mem_size)
		return elf_error(&c, "entry point 0x%llx outside guest memory",
				 (unsigned long long)eh.e_entry);
	for (i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_filesz == 0)
			continue;
		if (add_load(&c, &ph[i], i, img))
			return -1;
	}
	if (img->nseg == 0)
		return elf_error(&c, "no loadable segment");
	if (check_entry_point(&c, img))
		return -1;
	return read_notes(&c, ph, eh.e_phnum, img);
}
