/* SPDX-License-Identifier: ISC */
/* Split the monitor's command line into words for argv. */
#include "sdk_internal.h"

/* The boot-info copy is read-only, so the words live in this buffer. */
static char cmdline_copy[HVT_CMDLINE_SIZE];

int sdk_cmdline_split(const char *cmdline, char **argv, int max)
{
	char *p = cmdline_copy;
	int argc = 0;
	size_t i;

	/* Never trust the NUL: copy at most the ABI's buffer size. */
	for (i = 0; i < sizeof(cmdline_copy) - 1 && cmdline[i]; i++)
		cmdline_copy[i] = cmdline[i];
	cmdline_copy[i] = '\0';

	while (*p && argc < max) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	return argc;
}
