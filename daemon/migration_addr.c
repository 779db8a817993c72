/* SPDX-License-Identifier: ISC */
/*
 * Addresses, tokens and sockets for live migration: "ADDR:PORT" in and
 * out, the one-time token as the 64 hex digits clients carry, and the
 * options of the connection a monitor takes over.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "migration.h"

static int bad(char *why, size_t len, const char *s, const char *what)
{
	snprintf(why, len, "\"%.80s\": %s", s, what);
	return -1;
}

static int parse_port(const char *p, bool port_zero, unsigned int *port)
{
	unsigned long v = 0;
	const char *q;

	if (!*p || strlen(p) > 5)
		return -1;
	for (q = p; *q; q++) {
		if (*q < '0' || *q > '9')
			return -1;
		v = v * 10 + (unsigned long)(*q - '0');
	}
	if (v > 65535 || (!v && !port_zero))
		return -1;
	*port = v;
	return 0;
}

int migration_addr_parse(const char *s, bool port_zero,
			 struct sockaddr_storage *ss, socklen_t *len,
			 char *why, size_t whylen)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *h = s;
	size_t hl;
	unsigned int port;
	bool v6 = s[0] == '[';

	memset(ss, 0, sizeof(*ss));
	colon = v6 ? strstr(s, "]:") : strrchr(s, ':');
	if (!colon)
		return bad(why, whylen, s, "expected ADDR:PORT ([ADDR]:PORT for IPv6)");
	if (v6)
		h++;
	hl = (size_t)(colon - h);
	if (!hl || hl >= sizeof(host))
		return bad(why, whylen, s, "expected a numeric address before the port");
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (parse_port(colon + (v6 ? 2 : 1), port_zero, &port))
		return bad(why, whylen, s, port_zero ?
			   "expected a port of 0-65535" :
			   "expected a port of 1-65535");
	if (v6 && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	if (!v6 && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	return bad(why, whylen, s, v6 ? "not an IPv6 address" :
		   "not an IPv4 address (names are not looked up)");
}

int migration_addr_format(const struct sockaddr *sa, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	const void *a;

	if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	else if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else
		return -1;
	if (!inet_ntop(sa->sa_family, a, host, sizeof(host)))
		return -1;
	if ((size_t)snprintf(out, len, sa->sa_family == AF_INET6 ?
			     "[%s]:%u" : "%s:%u", host,
			     migration_addr_port(sa)) >= len)
		return -1;
	return 0;
}

unsigned int migration_addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

void migration_token_hex(const uint8_t *tok, char *hex)
{
	sodium_bin2hex(hex, MIGRATION_TOKEN_HEX + 1, tok,
		       MIGRATION_TOKEN_BYTES);
}

int migration_token_parse(const char *hex, uint8_t *tok)
{
	size_t n = 0;

	if (strlen(hex) != MIGRATION_TOKEN_HEX ||
	    sodium_hex2bin(tok, MIGRATION_TOKEN_BYTES, hex,
			   MIGRATION_TOKEN_HEX, NULL, &n, NULL) ||
	    n != MIGRATION_TOKEN_BYTES)
		return -1;
	return 0;
}

bool migration_token_equal(const uint8_t *a, const uint8_t *b)
{
	return sodium_memcmp(a, b, MIGRATION_TOKEN_BYTES) == 0;
}

/*
 * Blocking (the monitor's transfer thread blocks on it), keepalives and
 * TCP_USER_TIMEOUT so a peer that vanishes is noticed within seconds
 * rather than the kernel's minutes, and no Nagle delay on the small
 * records around the commit.
 */
int migration_socket_for_monitor(int fd)
{
	int one = 1, idle = 5, intvl = 2, cnt = 3;
	unsigned int uto = MIGRATION_USER_TIMEOUT_MS;

	return fcntl(fd, F_SETFL, 0) ||
	       setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
	       setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) ||
	       setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) ||
	       setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) ||
	       setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto)) ||
	       setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ?
	       -1 : 0;
}
