# SPDX-License-Identifier: ISC
# Small programs the Bats suites use.

CTL_FD := $(BUILD)/tests/tools/ctl-fd

ALL_TARGETS += $(CTL_FD)

$(CTL_FD): tests/tools/ctl_fd.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $<
