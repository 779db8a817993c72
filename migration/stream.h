/* SPDX-License-Identifier: ISC */
/*
 * The migration stream codec: writes and reads the byte stream that
 * carries a VM from one skiff-monitor to another (and, later, to and from
 * snapshot files). docs/migration.md describes the format.
 *
 * Layers, one file each:
 *   stream_channel.c  the cleartext hello, key derivation and the record
 *                     framing (libsodium secretstream, or plaintext for
 *                     snapshot files)
 *   stream_write.c    sections -> records
 *   stream_read.c     records -> sections, every byte treated as hostile
 *   stream_error.c    error messages with context
 *
 * Writing is a plain sequence of calls that end in the caller's write
 * callback. Reading is a push parser: the caller feeds whatever bytes it
 * has (a socket read of any size, one byte or a megabyte) and the reader
 * calls back once per decoded section or page run. A push parser was
 * chosen over a pull API so the monitor can drive it from its poll loop
 * without a blocking read callback, and so a fuzzer or a test can feed
 * any split of the same input.
 *
 * No networking, pre-copy or API lives here: those are later steps.
 */
#ifndef SKIFF_MIGRATION_STREAM_H
#define SKIFF_MIGRATION_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#define STREAM_PAGE_SIZE	4096u
#define STREAM_TOKEN_BYTES	32	/* migration.prepare's one-time token */
#define STREAM_PATH_MAX		4096	/* image path, with its NUL */
#define STREAM_NAME_MAX		67	/* device name, as the monitor's */
#define STREAM_MAX_DEVICES	64
#define STREAM_MAX_MSRS		64
#define STREAM_ACK_MSG_MAX	256	/* with its NUL */
#define STREAM_DEFINITION_MAX	(64 * 1024)

struct stream_error {
	char msg[256];
};

/* Which way the bytes flow: each direction has its own key. */
enum stream_direction {
	STREAM_TO_DESTINATION = 0,	/* the VM: config, memory, vCPUs ... */
	STREAM_TO_SOURCE = 1,		/* the destination's acknowledgement */
};

enum stream_device_kind {
	STREAM_DEVICE_BLOCK = 1,
	STREAM_DEVICE_NET = 2,
};

struct stream_device {
	uint8_t kind;			/* enum stream_device_kind */
	char name[STREAM_NAME_MAX + 1];
};

struct stream_vm_config {
	uint64_t mem_size;		/* bytes, a multiple of the page size */
	uint8_t image_sha256[32];	/* of the ELF image the VM booted */
	char image_path[STREAM_PATH_MAX];
	unsigned int ndevices;
	struct stream_device devices[STREAM_MAX_DEVICES];
};

/*
 * One vCPU. The KVM structs travel as the KVM ABI defines them (their
 * sizes are checked at build time and recorded in the stream); MSRs are
 * written field by field.
 */
struct stream_vcpu_state {
	uint32_t id;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_vcpu_events events;	/* pending exception/NMI/interrupt */
	uint32_t nmsrs;
	struct kvm_msr_entry msrs[STREAM_MAX_MSRS];
};

/*
 * The guest's clock when its vCPU state was taken: the TSC frequency the
 * guest was told at boot (it converts TSC ticks to time with it), its TSC
 * then, and the source's CLOCK_REALTIME then. A destination restores the
 * TSC so the guest's monotonic clock never goes backwards and moves
 * forward by no more than the time the guest was stopped.
 */
struct stream_clock {
	uint64_t tsc_hz;
	uint64_t guest_tsc;
	uint64_t realtime_ns;
};

/* ---- Writing ---------------------------------------------------------- */

/* Returns 0, or -1 with errno set; must write all len bytes. */
typedef int (*stream_write_fn)(void *opaque, const void *data, size_t len);

struct stream_writer_config {
	stream_write_fn write;
	void *opaque;
	/* NULL: a plaintext stream (snapshot files only). */
	const uint8_t *token;
	enum stream_direction direction;
};

struct stream_writer;

/*
 * stream_writer_new - start a stream: writes the hello at once.
 * Returns the writer, or NULL with err filled.
 */
struct stream_writer *stream_writer_new(const struct stream_writer_config *cfg,
					struct stream_error *err);
void stream_writer_free(struct stream_writer *w);

/*
 * The section writers. Each returns 0, or -1 with the writer's error set
 * (stream_writer_error()); after an error the writer only accepts free.
 * A VM stream is: config, then memory, vCPU and device sections in any
 * order and number, then end. An acknowledgement stream is: ack, end.
 */
int stream_write_config(struct stream_writer *w,
			const struct stream_vm_config *cfg);
/*
 * Pages [gfn, gfn + count) whose contents start at data. All-zero pages
 * are sent as zero runs (no data); the rest as data runs, cut into
 * sections of at most 1 MiB of page data.
 */
int stream_write_pages(struct stream_writer *w, uint64_t gfn, uint64_t count,
		       const void *data);
int stream_write_vcpu(struct stream_writer *w,
		      const struct stream_vcpu_state *vcpu);
int stream_write_device(struct stream_writer *w, const char *name,
			const void *blob, size_t len);
/*
 * The VM's definition as skiffd holds it (JSON text, opaque to the codec
 * and the monitor): what a destination daemon or a restore needs to
 * register the VM (name, image, devices by path, arguments). At most once,
 * anywhere before end; a daemons' handshake stream is a definition alone.
 */
int stream_write_definition(struct stream_writer *w, const char *text,
			    size_t len);
int stream_write_clock(struct stream_writer *w, const struct stream_clock *k);
/*
 * Where the VM's console log stands (live migration): the logical offset
 * of the first byte the guest writes on the destination, so the
 * destination's log goes on from the source's. skiffd counts console
 * offsets over the VM's whole life (docs/api.md, vm.console).
 */
#define STREAM_CONSOLE_OFFSET_MAX	(1ull << 62)
int stream_write_console(struct stream_writer *w, uint64_t offset);
/* The destination's answer: status 0 accepts; message is for humans. */
int stream_write_ack(struct stream_writer *w, uint32_t status,
		     const char *message);
/* The end section, then the final record: the stream is complete. */
int stream_write_end(struct stream_writer *w);

/*
 * An arbitrary section, unchecked: for extensions (a newer writer's
 * skippable sections) and for tests that need a malformed one.
 */
#define STREAM_SECTION_SKIPPABLE 0x0001
int stream_write_raw_section(struct stream_writer *w, uint16_t type,
			     uint16_t flags, uint16_t version,
			     const void *payload, size_t len);

const char *stream_writer_error(const struct stream_writer *w);
/*
 * End the current record now, so what was written so far can be read
 * without what follows (a snapshot's config and definition: skiffd reads
 * only those). Sections still span records as they must.
 */
int stream_writer_flush(struct stream_writer *w);
/* Pages written by stream_write_pages(); *zero of them as zero runs. */
uint64_t stream_writer_pages(const struct stream_writer *w, uint64_t *zero);
/* Bytes handed to the write callback so far (hello and records). */
uint64_t stream_writer_bytes(const struct stream_writer *w);

/* ---- Reading ---------------------------------------------------------- */

/*
 * Callbacks, each optional. Return 0 to go on, or -1 after filling err
 * to stop the stream (the reader reports "refused by the receiver: ...").
 * Pointers are valid only during the call.
 */
struct stream_callbacks {
	int (*config)(void *opaque, const struct stream_vm_config *cfg,
		      struct stream_error *err);
	/* data is NULL for a zero run; gfn + count lie inside guest memory */
	int (*pages)(void *opaque, uint64_t gfn, uint32_t count,
		     const void *data, struct stream_error *err);
	int (*vcpu)(void *opaque, const struct stream_vcpu_state *vcpu,
		    struct stream_error *err);
	int (*device)(void *opaque, const char *name, const void *blob,
		      size_t len, struct stream_error *err);
	int (*ack)(void *opaque, uint32_t status, const char *message,
		   struct stream_error *err);
	/* The end section was read and authenticated: the stream is whole. */
	int (*end)(void *opaque, struct stream_error *err);
	int (*clock)(void *opaque, const struct stream_clock *clock,
		     struct stream_error *err);
	/* text is not NUL-terminated; 1 <= len <= STREAM_DEFINITION_MAX */
	int (*definition)(void *opaque, const char *text, size_t len,
			  struct stream_error *err);
	int (*console)(void *opaque, uint64_t offset,
		       struct stream_error *err);
};

struct stream_reader_config {
	const struct stream_callbacks *cb;
	void *opaque;
	/* NULL: accept only a plaintext stream (a snapshot file). */
	const uint8_t *token;
	enum stream_direction direction;
	/* Limits on what the stream may ask for. 0 picks the default. */
	uint64_t max_mem_size;		/* default 4 GiB, as --mem's */
	uint64_t max_section;		/* default 4 MiB */
};

struct stream_reader;

struct stream_reader *stream_reader_new(const struct stream_reader_config *cfg,
					struct stream_error *err);
void stream_reader_free(struct stream_reader *r);

/*
 * stream_reader_feed - push the next len bytes of the stream.
 * Returns 0, or -1 with the reader's error set; after an error every
 * call fails again with the same error.
 */
int stream_reader_feed(struct stream_reader *r, const void *data, size_t len);

/*
 * stream_reader_finish - the input ended (EOF). Returns 0 if the stream
 * was complete (final record and end section seen), else -1 with a
 * "truncated" error.
 */
int stream_reader_finish(struct stream_reader *r);

bool stream_reader_done(const struct stream_reader *r);
const char *stream_reader_error(const struct stream_reader *r);
/* Bytes fed so far. */
uint64_t stream_reader_bytes(const struct stream_reader *r);
/*
 * stream_reader_want - how many bytes the reader needs to complete the
 * piece it is reading now (the hello, a record header or a record body);
 * 0 once the stream is done or failed. Feeding never more than this
 * reads a stream exactly to its last byte: a daemon reads the handshake
 * off a socket this way and leaves the monitor stream behind it unread.
 */
size_t stream_reader_want(const struct stream_reader *r);

#endif
