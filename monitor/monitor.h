/* SPDX-License-Identifier: ISC */
/*
 * skiff-monitor: the interface between the files of monitor/.
 *
 * One process runs one VM. Setup (options, image, devices, KVM, memory,
 * CPU) happens first, then the sandbox goes on, then the vCPU loop runs
 * until the guest halts or something fatal happens. Every function that
 * can fail reports why through mon_err() with its context and returns -1;
 * callers unwind and the process exits 1 (as solo5-hvt does), leaving the
 * reason in the status file for skiffd.
 */
#ifndef SKIFF_MONITOR_H
#define SKIFF_MONITOR_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hvt_abi.h"
#include "kvm_backend.h"
#include "stream.h"

#define MONITOR_NAME		"skiff-monitor"
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define MIB			(1024ull * 1024ull)
#define GUEST_PAGE_SIZE		0x1000ull
#define GUEST_LARGE_PAGE	(2 * MIB)
#define GUEST_MEM_DEFAULT_MIB	512
#define GUEST_MEM_MAX		(4096ull * MIB)

/* --- log.c: messages on stderr, with the VM's name as context ----------- */
void mon_set_context(const char *vm_name);
void mon_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mon_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last error given to mon_err(), for the status file. */
const char *mon_last_error(void);

/* --- options.c: the solo5-hvt compatible command line ------------------ */
struct block_opt {
	char name[MFT_NAME_SIZE];
	const char *path;		/* NULL when an fd is given */
	int fd;				/* -1 unless --block:NAME=@FD */
	uint32_t sector_size;		/* 0: not given (default 512) */
};

struct net_opt {
	char name[MFT_NAME_SIZE];
	const char *iface;		/* NULL when an fd is given */
	int fd;				/* -1 unless --net:NAME=@FD */
	bool have_mac;
	uint8_t mac[6];
};

struct monitor_options {
	uint64_t mem_bytes;		/* rounded and range-checked */
	bool mem_rounded;		/* --mem was not a multiple of 2 MiB */
	const char *device;
	const char *control;
	const char *status_file;
	const char *name;
	const char *kernel;
	int guest_argc;
	char **guest_argv;
	struct block_opt block[MFT_MAX_ENTRIES];
	size_t nblock;
	struct net_opt net[MFT_MAX_ENTRIES];
	size_t nnet;
	bool incoming;			/* --incoming=@FD: restore, not boot */
	int incoming_fd;
	int incoming_token_fd;		/* --incoming-token=@FD, or -1 */
	bool help;
	bool version;
};

/*
 * Parse argv into @o. Returns 0, or -1 with a one-line reason in @err.
 * Pure: opens nothing, so it is unit-tested directly.
 */
int options_parse(int argc, char **argv, struct monitor_options *o,
		  char *err, size_t errlen);
void options_usage(FILE *out);
int options_parse_mac(const char *s, uint8_t mac[6]);
/* Join the guest arguments with spaces into @buf (HVT_CMDLINE_SIZE). */
int options_cmdline(const struct monitor_options *o, char *buf, size_t size,
		    char *err, size_t errlen);

/* --- manifest.c: the MFT1 payload -------------------------------------- */
struct manifest {
	uint32_t entries;
	struct mft_entry e[MFT_MAX_ENTRIES];
};

int manifest_parse(const uint8_t *payload, size_t size, struct manifest *m,
		   char *err, size_t errlen);
/* Index of the entry called @name, or -1. */
int manifest_find(const struct manifest *m, const char *name);
size_t manifest_size(const struct manifest *m);

/* --- elf_loader.c: the ELF executable and its Solo5 notes --------------- */
#define ELF_MAX_PHDRS		64
#define ELF_MAX_LOADS		16

struct elf_segment {
	uint64_t vaddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t offset;
	uint64_t start;			/* vaddr rounded down to p_align */
	uint64_t end;			/* vaddr + memsz rounded up to p_align */
	uint32_t flags;			/* PF_R | PF_W | PF_X */
};

struct elf_image {
	uint64_t entry;
	uint64_t kernel_end;
	size_t nseg;
	struct elf_segment seg[ELF_MAX_LOADS];
	struct manifest mft;
};

/*
 * Check an executable held in @buf against the hvt loading rules for a
 * guest of @mem_size bytes, and parse its ABI and manifest notes.
 * Untrusted input: every offset and size is checked before use.
 */
int elf_parse(const uint8_t *buf, size_t size, uint64_t mem_size,
	      struct elf_image *img, char *err, size_t errlen);

/* --- guest_memory.c: guest RAM, its layout and guest-pointer checks ----- */
#define GUEST_RO_MAX		(ELF_MAX_LOADS + 1)

struct guest_range {
	uint64_t start;
	uint64_t end;
};

struct guest_mem {
	int memfd;
	uint8_t *host;			/* the monitor's view, always RW */
	uint8_t *kvm_view;		/* the view given to KVM (mprotect) */
	uint64_t size;			/* guest-visible bytes */
	size_t nro;
	struct guest_range ro[GUEST_RO_MAX];	/* guest read-only ranges */
	uint64_t *written;		/* pages the monitor wrote, see below */
	bool logging;			/* __atomic: mark writes into @written */
};

int guest_mem_create(struct guest_mem *m, uint64_t size);
void guest_mem_populate(struct guest_mem *m);
void guest_mem_destroy(struct guest_mem *m);
/* Copy the image's segments in and record the read-only ranges. */
int guest_mem_load(struct guest_mem *m, const struct elf_image *img,
		   const uint8_t *file);
/* Make text and rodata read-only in the view KVM maps. */
int guest_mem_protect(struct guest_mem *m);
/*
 * The hvt rule for guest pointers: gpa < size && gpa + len < size, with
 * no wrap-around (so a buffer ending exactly at the top is refused).
 */
bool guest_range_ok(const struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Also refuses ranges the guest itself may not write. */
bool guest_range_writable(const struct guest_mem *m, uint64_t gpa,
			  uint64_t len);
/* Is @gpa in a range guest_mem_protect() made read-only in KVM's view? */
bool guest_gpa_protected(const struct guest_mem *m, uint64_t gpa);
static inline void *guest_ptr(const struct guest_mem *m, uint64_t gpa)
{
	return m->host + gpa;
}

/*
 * The monitor's own writes into guest memory go through its own mapping,
 * which no device's dirty log sees. While dirty logging is on they are
 * marked in @written (one bit per page), after the data has landed.
 */
int guest_mem_log_start(struct guest_mem *m);
void guest_mem_log_stop(struct guest_mem *m);
void guest_mem_mark_written(struct guest_mem *m, uint64_t gpa, uint64_t len);
/* OR the marked pages into @bitmap and clear them. */
void guest_mem_log_take(struct guest_mem *m, uint64_t *bitmap);

/* --- dirty_log.c: dirty tracking for live migration --------------------- */
struct vm;

struct dirty_log {
	bool on;
	uint64_t *bits;			/* pages logged, not yet harvested */
	uint64_t *scratch;		/* for KVM_GET_DIRTY_LOG */
	uint64_t ring_full_exits;	/* __atomic */
};

/*
 * Logging is off until dirty_log_start() and costs nothing then. The
 * bitmaps below have one bit per 4 KiB guest page, bit i for gfn i:
 * dirty_log_bitmap_words() 64-bit words.
 *
 * dirty_log_harvest() ORs into @bitmap every page written since start or
 * the previous harvest, by the guest or by the monitor, and re-arms
 * tracking for them. It may run on any thread while the vCPU runs; pages
 * the CPU still buffers (Intel's PML) reach the log at the vCPU's next
 * exit, so a harvest while the vCPU is paused is complete.
 */
int dirty_log_start(struct vm *vm);
int dirty_log_harvest(struct vm *vm, uint64_t *bitmap);
void dirty_log_stop(struct vm *vm);
/* "ring", "bitmap-manual" or "bitmap": the mode kvm_open() chose. */
const char *dirty_log_mode(const struct vm *vm);
size_t dirty_log_bitmap_words(const struct vm *vm);
/* The vCPU loop's part: KVM_EXIT_DIRTY_RING_FULL. */
int dirty_log_ring_full(struct vm *vm);

/* --- x86_setup.c: page tables, GDT, boot info and the initial vCPU ------ */
#define X86_GDT_GPA		0x1000ull
#define X86_PML4_GPA		0x2000ull
#define X86_PDPT_GPA		0x3000ull
#define X86_PD_GPA		0x4000ull
#define X86_PT_GPA		0x8000ull
#define X86_BOOT_INFO_GPA	0x10000ull

void x86_build_page_tables(struct guest_mem *m);
void x86_build_gdt(struct guest_mem *m);
int x86_setup_vcpu(struct kvm_backend *kvm, const struct guest_mem *m,
		   uint64_t entry);

/* --- devices ------------------------------------------------------------ */
struct vm_device {
	uint32_t type;			/* MFT_DEV_*, 0 when unused */
	int fd;
	uint64_t capacity;		/* block */
	uint32_t block_size;		/* block */
	uint8_t mac[6];			/* net */
	bool mac_given;			/* net: by --net-mac, not random */
	uint16_t mtu;			/* net */
};

struct vm_counters {
	uint64_t exits;
	uint64_t hypercalls[HVT_HYPERCALL_MAX];
	uint64_t console_bytes;
	uint64_t block_read_bytes;
	uint64_t block_write_bytes;
	uint64_t net_rx_bytes;
	uint64_t net_tx_bytes;
};

/* Guest ranges a hypercall's handler may write (hypercall_table.c). */
#define HC_WRITES_MAX		4

struct hc_writes {
	unsigned int n;
	struct guest_range r[HC_WRITES_MAX];
};

/* Pause state shared by the control thread and the vCPU thread. */
struct vm_pause {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool requested;			/* by monitor.pause */
	unsigned int holds;		/* by snapshots and migrations */
	bool active;			/* requested || holds, read lock-free */
	bool paused;			/* the vCPU thread is parked */
	bool at_boundary;		/* ... at its loop's top, I/O complete */
	bool ended;			/* the vCPU loop has returned */
	bool migrated;			/* the destination runs the guest */
};

#define VM_MSRS_MAX		16

struct vm {
	const char *name;
	const char *kernel_path;
	const uint8_t *image;		/* the ELF file, mapped read-only */
	size_t image_size;
	struct kvm_backend kvm;
	struct guest_mem mem;
	struct manifest mft;		/* after attachment */
	struct vm_device dev[MFT_MAX_ENTRIES];
	struct vm_counters counters;	/* updated with __atomic builtins */
	struct vm_pause pause;
	struct dirty_log dirty;
	struct hc_writes hc_writes;	/* the vCPU thread's, per hypercall */
	pthread_t vcpu_thread;
	double started_at;
	int exit_status;
	bool trapped;			/* halted with a trap frame */
	uint64_t tsc_hz;		/* as the guest was told at boot */
	/*
	 * skiffd's console log offset of this monitor's first console byte
	 * (from a migration stream), and the bytes written to it since
	 * (atomic): a migration tells the destination where the log stands.
	 */
	uint64_t console_origin;
	uint64_t console_written;
	uint32_t nmsrs;			/* the MSRs snapshots carry */
	uint32_t msr_index[VM_MSRS_MAX];
};

/* Open and attach every device the manifest declares (block.c, net.c). */
int devices_attach(struct vm *vm, const struct monitor_options *o);
int block_attach(struct vm *vm, const struct block_opt *b);
int net_attach(struct vm *vm, const struct net_opt *n);
void devices_close(struct vm *vm);
/* Manifest index of @name if the image declares it with @type, else -1. */
int device_declared(const struct vm *vm, const char *name, uint32_t type);
/* The attached device a guest's @handle names, if it has @type. */
const struct vm_device *device_at(const struct vm *vm, uint64_t handle,
				  uint32_t type);

/* --- boot_info.c --------------------------------------------------------- */
int boot_info_write(struct vm *vm, const struct elf_image *img,
		    const char *cmdline, uint64_t tsc_hz);

/* --- hypercall_table.c: dispatch by number ------------------------------ */
enum hc_result {
	HC_CONTINUE,
	HC_HALT,
	HC_FATAL,
};

typedef enum hc_result (*hypercall_fn)(struct vm *vm, uint64_t gpa);

void hypercalls_init(struct vm *vm);
const char *hypercall_name(unsigned int nr);
/* Validate a port write and run its handler. */
enum hc_result hypercall_dispatch(struct vm *vm, uint16_t port, uint8_t dir,
				  uint8_t size, uint32_t count,
				  const void *data);
/* Copy the argument struct in (checked), and the OUT fields back. */
int hc_args_in(struct vm *vm, unsigned int nr, uint64_t gpa, void *args,
	       size_t size);
/* Same, for structs with OUT fields: also checks they can be written. */
int hc_args_inout(struct vm *vm, unsigned int nr, uint64_t gpa, void *args,
		  size_t size);
int hc_args_out(struct vm *vm, unsigned int nr, uint64_t gpa,
		const void *args, size_t size);
/*
 * @guest_writes_into: the monitor will write the buffer for the guest.
 * Such buffers and the OUT fields are marked dirty for a migration once
 * the handler returns.
 */
int hc_check_buffer(struct vm *vm, unsigned int nr, const char *what,
		    uint64_t gpa, uint64_t len, bool guest_writes_into);

enum hc_result hc_walltime(struct vm *vm, uint64_t gpa);
enum hc_result hc_puts(struct vm *vm, uint64_t gpa);
enum hc_result hc_poll(struct vm *vm, uint64_t gpa);
enum hc_result hc_block_write(struct vm *vm, uint64_t gpa);
enum hc_result hc_block_read(struct vm *vm, uint64_t gpa);
enum hc_result hc_net_write(struct vm *vm, uint64_t gpa);
enum hc_result hc_net_read(struct vm *vm, uint64_t gpa);
enum hc_result hc_halt(struct vm *vm, uint64_t gpa);

/* poll.c: the wait set of net devices for POLL */
int poll_setup(struct vm *vm);

/* --- vcpu_loop.c -------------------------------------------------------- */
/* Returns the guest's exit status (0..255), or -1 on a fatal condition. */
int vcpu_loop(struct vm *vm);
/* Signal handling: SIGTERM/SIGINT stop, SIGUSR1 kicks the vCPU out. */
int vcpu_signals_init(struct vm *vm);
extern volatile sig_atomic_t vcpu_stop_signal;
/*
 * Block the vCPU while a pause is requested (vcpu_pause.c). True when
 * the guest has been migrated away: the loop must end.
 */
bool vcpu_pause_point(struct vm *vm);
/* Inside POLL's wait: true when the POLL must end for a capture. */
bool vcpu_poll_pause_point(struct vm *vm);
int vcpu_request_pause(struct vm *vm);
int vcpu_resume(struct vm *vm);
bool vcpu_is_paused(struct vm *vm);
/*
 * Park the vCPU at a hypercall boundary and hold it: 0, -ETIMEDOUT, or
 * -ESRCH when the guest has stopped running.
 */
int vcpu_capture_begin(struct vm *vm);
void vcpu_capture_end(struct vm *vm);
void vcpu_loop_ended(struct vm *vm);
/* Turn a capture hold into a pause: the guest must not run here again. */
void vcpu_hold_paused(struct vm *vm);
/* The guest lives on elsewhere now: the vCPU loop ends (status 0). */
void vcpu_end_migrated(struct vm *vm);

/* --- vcpu_state.c: the vCPU's state for snapshots and migrations ------ */
/* Once, before the sandbox: which MSRs this device can carry. */
int vcpu_state_init(struct vm *vm, uint64_t tsc_hz);
int vcpu_state_save(struct vm *vm, struct stream_vcpu_state *v,
		    struct stream_clock *clock);
int vcpu_clock_check(struct vm *vm, const struct stream_clock *clock,
		     char *err, size_t errlen);
int vcpu_state_load(struct vm *vm, const struct stream_vcpu_state *v,
		    uint64_t tsc);

/* --- vm_stream.c: what describes this VM in a stream ---------------------- */
/* The config section: memory, image identity, the manifest's devices. */
void vm_stream_config(struct vm *vm, struct stream_vm_config *cfg);
/* Does a stream's config describe this VM? If not, why in @err. */
int vm_stream_config_check(struct vm *vm, const struct stream_vm_config *cfg,
			   char *err, size_t errlen);

/* --- stream_io.c: a stream's bytes through a descriptor -------------- */
/* CLOCK_MONOTONIC in seconds: the transfers' timings. */
double mono_now(void);
struct stream_fd {
	int fd;
	double bytes_per_s;		/* 0: no cap */
	double started;
	uint64_t sent;
};

void stream_fd_init(struct stream_fd *s, int fd, double bytes_per_s);
/* A stream_write_fn: all of @len to the descriptor, paced to the cap. */
int stream_fd_write(void *opaque, const void *data, size_t len);
int stream_fd_read(struct stream_reader *r, int fd, int timeout_ms,
		   bool (*done)(void *arg), void *arg, char *err, size_t errlen);

/* --- snapshot.c: a paused VM's whole state into a plaintext stream ------ */
struct snapshot_stats {
	uint64_t bytes;
	uint64_t pages;
	uint64_t zero_pages;
	double seconds;
};

int snapshot_write(struct vm *vm, int fd, const char *definition,
		   struct snapshot_stats *st, char *err, size_t errlen);

/* --- restore.c: a stream into a VM that has not run yet ----------------- */
/* @token NULL: a snapshot file; else a live migration on a socket. */
/* device_state.c: the net devices' MACs in a stream; the announcement. */
int device_state_write(struct vm *vm, struct stream_writer *w);
int device_state_flush(struct vm *vm);
int device_state_restore(struct vm *vm, const char *name, const void *blob,
			 size_t len, char *err, size_t errlen);
void device_state_announce(struct vm *vm);

int restore_from_fd(struct vm *vm, int fd, const uint8_t *token);
int incoming_token_read(int fd, uint8_t token[STREAM_TOKEN_BYTES]);

/* --- migrate_send.c: live migration, the source's side ---------------- */
struct migrate_params {
	uint8_t token[STREAM_TOKEN_BYTES];
	double downtime_ms;		/* the budget for the final stop */
	double bandwidth_mib_s;		/* 0: no cap */
	unsigned int max_rounds;
	bool has_console_offset;	/* else the monitor's console_origin */
	uint64_t console_offset;	/* skiffd's log offset at our start */
};

/* console.c: where skiffd's console log of this VM stands now. */
uint64_t console_log_offset(struct vm *vm, const struct migrate_params *p);

/* What monitor.info shows while a migration runs. */
struct migrate_progress {
	const char *phase;		/* "precopy", "final", "commit" */
	unsigned int round;
	uint64_t pages_sent;
	uint64_t bytes_sent;
	uint64_t dirty_pages;		/* found by the last harvest */
	double dirty_rate_mib_s;
	double estimated_downtime_ms;
	double elapsed_s;
};

struct migrate_result {
	double total_seconds;
	double downtime_ms;
	unsigned int rounds;
	uint64_t bytes;
	uint64_t pages;
};

enum migrate_outcome {
	MIGRATE_DONE,			/* the destination runs the guest */
	MIGRATE_FAILED,			/* the guest runs here again */
	MIGRATE_UNKNOWN,		/* held paused here: see the message */
};

enum migrate_outcome migrate_send(struct vm *vm, int sock,
				  const struct migrate_params *p,
				  struct migrate_result *res, char *err,
				  size_t errlen);

/* --- transfer.c: the thread that writes snapshots and migrations ------- */
struct transfer_result {
	int code;			/* 0, or a JSON-RPC error code */
	char message[512];
	bool migration;			/* else a snapshot */
	struct snapshot_stats stats;
	struct migrate_result mig;
};

/* Before the sandbox: the thread cannot be created afterwards. */
int transfer_start(struct vm *vm);
void transfer_stop(void);
/* Readable when a job has finished (control_socket.c polls it). */
int transfer_done_fd(void);
/* Takes @fd and @definition (malloc'd); -EBUSY if a job is running. */
int transfer_submit_snapshot(int fd, char *definition);
/* Takes @sock; -EBUSY if a job is running. */
int transfer_submit_migrate(int sock, const struct migrate_params *p);
/* migrate_send()'s progress for monitor.info; NULL when it is over. */
void transfer_progress_set(const struct migrate_progress *p);
/* A copy of the progress; false when no migration runs. */
bool transfer_progress(struct migrate_progress *p);
/* The finished job's result; false if none is waiting. */
bool transfer_take_result(struct transfer_result *r);

/* --- sandbox.c ---------------------------------------------------------- */
int sandbox_enter(void);
/* The same filter, killing on a violation even in sanitizer builds (tests). */
int sandbox_enter_strict(void);

/* --- status_file.c ------------------------------------------------------ */
int status_file_open(const char *path);
/* kind: "halt", "trap" (halted by a CPU exception), "signal", "error". */
void status_file_write(int status, const char *kind, const char *reason);

/* --- control_socket.c --------------------------------------------------- */
int control_start(struct vm *vm, const char *path);
void control_stop(void);

#endif
