/* SPDX-License-Identifier: ISC */
/*
 * skiff-monitor: run one Solo5 hvt unikernel on /dev/kvm (or /dev/skiff).
 *
 * Setup follows solo5-hvt's order: options, image and manifest, devices,
 * VM and vCPU, guest memory and its contents, CPU state, then the sandbox
 * and the vCPU loop. Exit status: the guest's own (0..255) when it halts,
 * 1 for anything else, with the reason on stderr and in the status file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "monitor.h"

struct kernel_file {
	const uint8_t *buf;
	size_t size;
};

static int kernel_map(const char *path, struct kernel_file *k)
{
	struct stat st;
	void *p;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		mon_err("%s: %s", path, strerror(errno));
		goto err;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		mon_err("%s: not a non-empty regular file", path);
		goto err;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		mon_err("%s: mmap: %s", path, strerror(errno));
		goto err;
	}
	close(fd);
	k->buf = p;
	k->size = st.st_size;
	return 0;
err:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Image, manifest and devices: everything decided before KVM is opened. */
static int vm_prepare(struct vm *vm, const struct monitor_options *o,
		      struct elf_image *img, char *cmdline)
{
	struct kernel_file k;
	char err[512];
	int rc;

	if (o->mem_rounded)
		mon_warn("adjusting memory to %llu MiB",
			 (unsigned long long)(o->mem_bytes / MIB));
	if (options_cmdline(o, cmdline, HVT_CMDLINE_SIZE, err, sizeof(err))) {
		mon_err("%s", err);
		return -1;
	}
	if (kernel_map(o->kernel, &k))
		return -1;
	/* Kept mapped: snapshots name the image by its SHA-256. */
	vm->image = k.buf;
	vm->image_size = k.size;
	rc = elf_parse(k.buf, k.size, o->mem_bytes, img, err, sizeof(err));
	if (rc) {
		mon_err("%s: %s", o->kernel, err);
		return rc;
	}
	vm->mft = img->mft;
	rc = devices_attach(vm, o);
	if (rc)
		return rc;
	rc = guest_mem_create(&vm->mem, o->mem_bytes);
	if (!rc)
		rc = guest_mem_load(&vm->mem, img, k.buf);
	return rc;
}

/* The guest's first state: a fresh boot, or the one a stream carries. */
static int vm_first_state(struct vm *vm, const struct monitor_options *o,
			  const struct elf_image *img, const char *cmdline,
			  uint64_t tsc_hz)
{
	int rc;

	if (o->incoming) {
		uint8_t token[STREAM_TOKEN_BYTES];
		bool live = o->incoming_token_fd >= 0;

		rc = (live && incoming_token_read(o->incoming_token_fd,
						  token)) ||
		     kvm_set_cpuid(&vm->kvm) ||
		     vcpu_state_init(vm, tsc_hz) ||
		     restore_from_fd(vm, o->incoming_fd, live ? token : NULL);
		/* Closing tells a migration's source the guest runs here. */
		close(o->incoming_fd);
		sodium_memzero(token, sizeof(token));
		return rc ? -1 : 0;
	}
	x86_build_page_tables(&vm->mem);
	x86_build_gdt(&vm->mem);
	if (boot_info_write(vm, img, cmdline, tsc_hz) ||
	    x86_setup_vcpu(&vm->kvm, &vm->mem, img->entry))
		return -1;
	return vcpu_state_init(vm, tsc_hz);
}

/* VM, memory contents, vCPU state. */
static int vm_build(struct vm *vm, const struct monitor_options *o,
		    const struct elf_image *img, const char *cmdline)
{
	uint64_t tsc_hz;

	if (kvm_open(&vm->kvm, o->device))
		return -1;
	if (kvm_set_memory(&vm->kvm, 0, 0, vm->mem.size, vm->mem.kvm_view, 0))
		return -1;
	if (kvm_get_tsc_hz(&vm->kvm, &tsc_hz) ||
	    vm_first_state(vm, o, img, cmdline, tsc_hz) ||
	    guest_mem_protect(&vm->mem))
		return -1;
	hypercalls_init(vm);
	return poll_setup(vm);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int vm_run(struct vm *vm, const struct monitor_options *o)
{
	static char cmdline[HVT_CMDLINE_SIZE];
	static struct elf_image img;
	int status = -1;
	size_t i;

	/* Nothing is open yet: the error path below must close nothing. */
	vm->name = o->name;
	vm->kernel_path = o->kernel;
	vm->mem.memfd = -1;
	vm->kvm.dev_fd = vm->kvm.vm_fd = vm->kvm.vcpu_fd = -1;
	for (i = 0; i < ARRAY_SIZE(vm->dev); i++)
		vm->dev[i].fd = -1;
	if (sodium_init() < 0) {
		mon_err("libsodium: initialisation failed");
		return -1;
	}
	if (vm_prepare(vm, o, &img, cmdline) ||
	    vm_build(vm, o, &img, cmdline) || vcpu_signals_init(vm))
		goto out;
	if (o->control &&
	    (transfer_start(vm) || control_start(vm, o->control)))
		goto out;
	if (sandbox_enter())
		goto out;
	vm->started_at = now_seconds();
	status = vcpu_loop(vm);
	vcpu_loop_ended(vm);
out:
	control_stop();
	transfer_stop();
	devices_close(vm);
	kvm_close(&vm->kvm);
	guest_mem_destroy(&vm->mem);
	if (vm->image)
		munmap((void *)vm->image, vm->image_size);
	return status;
}

int main(int argc, char **argv)
{
	static struct monitor_options o;
	static struct vm vm;
	char err[512];
	int status;

	if (options_parse(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, MONITOR_NAME ": %s\n", err);
		options_usage(stderr);
		return 1;
	}
	if (o.help) {
		options_usage(stdout);
		return 0;
	}
	if (o.version) {
		printf(MONITOR_NAME " %s (Solo5 hvt ABI version %d)\n",
		       SKIFF_VERSION, HVT_ABI_VERSION);
		return 0;
	}
	mon_set_context(o.name);
	if (o.status_file && status_file_open(o.status_file))
		return 1;
	status = vm_run(&vm, &o);
	if (status < 0)
		status_file_write(1, vcpu_stop_signal ? "signal" : "error",
				  mon_last_error());
	else if (vm.trapped)
		status_file_write(status, "trap", mon_last_error());
	else if (vm.pause.migrated)
		status_file_write(0, "migrated", "migrated to the destination");
	else
		status_file_write(status, "halt", "halted");
	return status < 0 ? 1 : status;
}
