/* SPDX-License-Identifier: ISC */
/*
 * kvm-probe [DEVICE]: exit 0 if DEVICE (default /dev/kvm) is a KVM-style
 * device that answers: it opens read-write, KVM_GET_API_VERSION says 12
 * and KVM_CREATE_VM gives a VM. Otherwise print why and exit 1.
 *
 * A device node alone proves nothing (a container may show one it cannot
 * open, a host one whose module cannot create VMs). make check and make
 * demo ask this once to choose between this host and the lab, and the
 * lab's /init asks it before running a job. Static, so it runs from the
 * lab's initramfs too.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/kvm";
	int fd, vm, ver;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "kvm-probe: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		fprintf(stderr, "kvm-probe: %s: not a KVM device (%s)\n", dev,
			ver < 0 ? strerror(errno) : "API version is not 12");
		goto fail;
	}
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "kvm-probe: %s: KVM_CREATE_VM: %s\n", dev,
			strerror(errno));
		goto fail;
	}
	close(vm);
	close(fd);
	return 0;
fail:
	close(fd);
	return 1;
}
