# SPDX-License-Identifier: ISC
# Small programs the Bats suites use.

TOOLS_BIN := $(BUILD)/tests/tools

ALL_TARGETS += $(TOOLS_BIN)/ctl-fd $(TOOLS_BIN)/accept-exec

$(TOOLS_BIN)/ctl-fd: tests/tools/ctl_fd.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $<

$(TOOLS_BIN)/accept-exec: tests/tools/accept_exec.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $<

ALL_TARGETS += $(TOOLS_BIN)/mig-proxy

$(TOOLS_BIN)/mig-proxy: tests/tools/mig_proxy.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $<
