/* SPDX-License-Identifier: ISC */
/*
 * NET_BASIC devices: an existing tap interface (or an inherited tap fd),
 * one Ethernet frame per read or write. The interface must already exist
 * and be up: opening /dev/net/tun with a name that does not exist would
 * create a new tap, which is not what an operator asked for.
 *
 * As for block devices, host-side I/O errors (a tap taken down, a frame
 * the tap refuses) come back to the guest as HVT_R_EUNSPEC instead of
 * ending the VM; guest pointers out of range remain fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor.h"

static int iface_query(const char *name, int req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (s < 0)
		return -1;
	memset(ifr, 0, sizeof(*ifr));
	strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
	rc = ioctl(s, req, ifr);
	close(s);
	return rc;
}

static int tap_open(const struct net_opt *n)
{
	struct ifreq ifr;
	int fd;

	if (iface_query(n->iface, SIOCGIFFLAGS, &ifr) < 0) {
		mon_err("net %s: interface %s: %s", n->name, n->iface,
			errno == ENODEV ? "no such interface" :
					  strerror(errno));
		return -1;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		mon_err("net %s: interface %s is down", n->name, n->iface);
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		mon_err("net %s: /dev/net/tun: %s", n->name, strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, n->iface, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
	    strncmp(ifr.ifr_name, n->iface, IFNAMSIZ)) {
		mon_err("net %s: %s is not a tap interface we can attach: %s",
			n->name, n->iface, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int net_fd(const struct net_opt *n)
{
	int fl;

	if (n->fd < 0)
		return tap_open(n);
	fl = fcntl(n->fd, F_GETFL);
	if (fl < 0 || fcntl(n->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		mon_err("net %s: fd %d: %s", n->name, n->fd, strerror(errno));
		return -1;
	}
	return n->fd;
}

static int net_mac(const struct net_opt *n, uint8_t mac[6])
{
	if (n->have_mac) {
		memcpy(mac, n->mac, 6);
		return 0;
	}
	if (getrandom(mac, 6, 0) != 6) {
		mon_err("net %s: random MAC: %s", n->name, strerror(errno));
		return -1;
	}
	mac[0] = (mac[0] & ~0x01) | 0x02;	/* unicast, locally administered */
	return 0;
}

int net_attach(struct vm *vm, const struct net_opt *n)
{
	struct mft_entry *e;
	int idx;
	struct ifreq ifr;
	uint16_t mtu = 1500;
	int fd;

	if (!n->iface && n->fd < 0) {
		mon_err("--net-mac:%s given without --net:%s", n->name,
			n->name);
		return -1;
	}
	idx = device_declared(vm, n->name, MFT_DEV_NET_BASIC);
	if (idx < 0)
		return -1;
	fd = net_fd(n);
	if (fd < 0)
		return -1;
	vm->dev[idx].fd = fd;
	if (n->iface && iface_query(n->iface, SIOCGIFMTU, &ifr) == 0 &&
	    ifr.ifr_mtu > 0 && ifr.ifr_mtu <= UINT16_MAX)
		mtu = ifr.ifr_mtu;
	e = &vm->mft.e[idx];
	if (net_mac(n, e->u.net_basic.mac))
		return -1;
	e->u.net_basic.mtu = mtu;
	e->attached = 1;
	vm->dev[idx].type = MFT_DEV_NET_BASIC;
	vm->dev[idx].mtu = mtu;
	memcpy(vm->dev[idx].mac, e->u.net_basic.mac, 6);
	vm->dev[idx].mac_given = n->have_mac;
	return 0;
}

/* One frame to or from the tap; fills a->ret (and a->len for reads). */
static void net_io(struct vm *vm, const struct vm_device *d,
		   struct hvt_hc_net *a, bool write_op)
{
	uint8_t *p = guest_ptr(&vm->mem, a->data);
	ssize_t n = write_op ? write(d->fd, p, a->len) : read(d->fd, p, a->len);

	if (write_op ? n >= 0 && (uint64_t)n == a->len : n > 0) {
		if (!write_op)
			a->len = n;
		a->ret = HVT_R_OK;
		__atomic_add_fetch(write_op ? &vm->counters.net_tx_bytes :
					      &vm->counters.net_rx_bytes,
				   n, __ATOMIC_RELAXED);
	} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		a->ret = HVT_R_AGAIN;
	} else {
		/* A read of 0 is "nothing there"; a short write is an error. */
		a->ret = (n == 0 && !write_op) ? HVT_R_AGAIN : HVT_R_EUNSPEC;
	}
}

static enum hc_result net_call(struct vm *vm, uint64_t gpa, unsigned int nr,
			       bool write_op)
{
	const struct vm_device *d;
	struct hvt_hc_net a;

	if (hc_args_inout(vm, nr, gpa, &a, sizeof(a)) ||
	    hc_check_buffer(vm, nr, write_op ? "frame" : "frame buffer",
			    a.data, a.len, !write_op))
		return HC_FATAL;
	d = device_at(vm, a.handle, MFT_DEV_NET_BASIC);
	if (d)
		net_io(vm, d, &a, write_op);
	else
		a.ret = HVT_R_EINVAL;
	return hc_args_out(vm, nr, gpa, &a, sizeof(a)) ? HC_FATAL :
							 HC_CONTINUE;
}

enum hc_result hc_net_write(struct vm *vm, uint64_t gpa)
{
	return net_call(vm, gpa, HVT_HYPERCALL_NET_WRITE, true);
}

enum hc_result hc_net_read(struct vm *vm, uint64_t gpa)
{
	return net_call(vm, gpa, HVT_HYPERCALL_NET_READ, false);
}
