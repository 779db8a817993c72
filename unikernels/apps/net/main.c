/* SPDX-License-Identifier: ISC */
/*
 * net IP [COUNT]: answers ARP requests for IP and ICMP echo requests to
 * it on the net device "service0", so that `ping IP` works from the
 * host. Exits 0 after COUNT echo replies (default: runs until killed).
 */
#include "skiff_sdk.h"
#include "net_proto.h"

#define FRAME_MAX	9216

static uint8_t my_mac[ETH_ALEN];
static uint8_t my_ip[4];
static int handle;

/* Dotted quad, four decimal parts of 1-3 digits each, 0..255. */
static bool parse_ip(const char *s, uint8_t ip[4])
{
	unsigned int v;
	int i, n;

	for (i = 0; i < 4; i++) {
		v = 0;
		for (n = 0; *s >= '0' && *s <= '9' && n < 3; n++)
			v = v * 10 + (unsigned int)(*s++ - '0');
		if (n == 0 || v > 255)
			return false;
		ip[i] = (uint8_t)v;
		if (i < 3 && *s++ != '.')
			return false;
	}
	return *s == '\0';
}

static uint16_t checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return net_htons((uint16_t)~sum);
}

static void send_frame(const void *frame, size_t len)
{
	int ret = skiff_net_write(handle, frame, len);

	if (ret != SKIFF_R_OK)
		skiff_panic("net: write failed (%d)\n", ret);
}

static void handle_arp(uint8_t *frame, size_t len)
{
	struct eth_hdr *eth = (struct eth_hdr *)frame;
	struct arp_pkt *arp = (struct arp_pkt *)(eth + 1);

	if (len < sizeof(*eth) + sizeof(*arp) ||
	    arp->htype != net_htons(ARP_HW_ETHER) ||
	    arp->ptype != net_htons(ETH_P_IPV4) ||
	    arp->oper != net_htons(ARP_OP_REQUEST) ||
	    memcmp(arp->tpa, my_ip, 4))
		return;
	/* Turn the request into the reply in place. */
	memcpy(eth->dst, arp->sha, ETH_ALEN);
	memcpy(eth->src, my_mac, ETH_ALEN);
	arp->oper = net_htons(ARP_OP_REPLY);
	memcpy(arp->tha, arp->sha, ETH_ALEN);
	memcpy(arp->tpa, arp->spa, 4);
	memcpy(arp->sha, my_mac, ETH_ALEN);
	memcpy(arp->spa, my_ip, 4);
	send_frame(frame, sizeof(*eth) + sizeof(*arp));
}

/* Returns true if an echo reply was sent. */
static bool handle_ipv4(uint8_t *frame, size_t len)
{
	struct eth_hdr *eth = (struct eth_hdr *)frame;
	struct ip_hdr *ip = (struct ip_hdr *)(eth + 1);
	struct icmp_hdr *icmp;
	size_t ihl, total;

	if (len < sizeof(*eth) + sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		return false;
	ihl = (size_t)(ip->version_ihl & 0xf) * 4;
	total = net_htons(ip->total_len);
	if (ihl < sizeof(*ip) || total < ihl + sizeof(*icmp) ||
	    total > len - sizeof(*eth) || ip->proto != IP_PROTO_ICMP ||
	    memcmp(ip->dst, my_ip, 4) || (net_htons(ip->frag) & 0x3fff))
		return false;
	icmp = (struct icmp_hdr *)((uint8_t *)ip + ihl);
	if (icmp->type != ICMP_ECHO || icmp->code != 0)
		return false;

	memcpy(eth->dst, eth->src, ETH_ALEN);
	memcpy(eth->src, my_mac, ETH_ALEN);
	memcpy(ip->dst, ip->src, 4);
	memcpy(ip->src, my_ip, 4);
	ip->ttl = 64;
	ip->checksum = 0;
	ip->checksum = checksum(ip, ihl);
	icmp->type = ICMP_ECHO_REPLY;
	icmp->checksum = 0;
	icmp->checksum = checksum(icmp, total - ihl);
	send_frame(frame, sizeof(*eth) + total);
	skiff_printf("net: echo reply to %u.%u.%u.%u seq %u\n", ip->dst[0],
		     ip->dst[1], ip->dst[2], ip->dst[3], net_htons(icmp->seq));
	return true;
}

static bool handle_frame(uint8_t *frame, size_t len)
{
	const struct eth_hdr *eth = (const struct eth_hdr *)frame;

	if (len < sizeof(*eth))
		return false;
	if (eth->type == net_htons(ETH_P_ARP))
		handle_arp(frame, len);
	else if (eth->type == net_htons(ETH_P_IPV4))
		return handle_ipv4(frame, len);
	return false;
}

int main(int argc, char **argv)
{
	static uint8_t frame[FRAME_MAX];
	struct skiff_net_info info;
	uint64_t count = 0, replies = 0;
	size_t len;

	if (argc < 2 || argc > 3 || !parse_ip(argv[1], my_ip) ||
	    (argc == 3 && !skiff_parse_u64(argv[2], &count))) {
		skiff_puts("usage: net IP [COUNT]\n");
		return 2;
	}
	handle = skiff_net_open("service0", &info);
	if (handle < 0) {
		skiff_puts("net: no device \"service0\"\n");
		return 3;
	}
	memcpy(my_mac, info.mac, ETH_ALEN);
	skiff_printf("net: mac=%02x:%02x:%02x:%02x:%02x:%02x mtu=%u ip=%u.%u.%u.%u\n",
		     my_mac[0], my_mac[1], my_mac[2], my_mac[3], my_mac[4],
		     my_mac[5], info.mtu, my_ip[0], my_ip[1], my_ip[2],
		     my_ip[3]);
	for (;;) {
		skiff_poll(SKIFF_NSEC_PER_SEC, NULL);
		while (skiff_net_read(handle, frame, sizeof(frame), &len) ==
		       SKIFF_R_OK) {
			if (handle_frame(frame, len) && ++replies == count)
				return 0;
		}
	}
}
