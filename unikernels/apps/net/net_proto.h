/* SPDX-License-Identifier: ISC */
/* Wire formats for Ethernet, ARP, IPv4 and ICMP (network byte order). */
#ifndef NET_PROTO_H
#define NET_PROTO_H

#include <stdint.h>

#define ETH_ALEN	6
#define ETH_P_IPV4	0x0800
#define ETH_P_ARP	0x0806
#define ARP_HW_ETHER	1
#define ARP_OP_REQUEST	1
#define ARP_OP_REPLY	2
#define IP_PROTO_ICMP	1
#define ICMP_ECHO_REPLY	0
#define ICMP_ECHO	8

struct eth_hdr {
	uint8_t dst[ETH_ALEN];
	uint8_t src[ETH_ALEN];
	uint16_t type;
} __attribute__((packed));

struct arp_pkt {
	uint16_t htype;
	uint16_t ptype;
	uint8_t hlen;
	uint8_t plen;
	uint16_t oper;
	uint8_t sha[ETH_ALEN];
	uint8_t spa[4];
	uint8_t tha[ETH_ALEN];
	uint8_t tpa[4];
} __attribute__((packed));

struct ip_hdr {
	uint8_t version_ihl;
	uint8_t tos;
	uint16_t total_len;
	uint16_t id;
	uint16_t frag;
	uint8_t ttl;
	uint8_t proto;
	uint16_t checksum;
	uint8_t src[4];
	uint8_t dst[4];
} __attribute__((packed));

struct icmp_hdr {
	uint8_t type;
	uint8_t code;
	uint16_t checksum;
	uint16_t id;
	uint16_t seq;
} __attribute__((packed));

static inline uint16_t net_htons(uint16_t v)
{
	return (uint16_t)((v << 8) | (v >> 8));
}

#endif /* NET_PROTO_H */
