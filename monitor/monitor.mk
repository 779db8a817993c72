# SPDX-License-Identifier: ISC
# skiff-monitor, and a sanitizer build of it for the hostile-guest runs.

MONITOR_SRCS := $(wildcard monitor/*.c)
# The hvt ABI has one definition, the SDK's public hvt_abi.h, shared by
# guests and the monitor so the two sides cannot drift apart.
MONITOR_CPPFLAGS := -Imonitor -I$(TOP)/unikernels/sdk $(API_CPPFLAGS) \
	$(MIGRATION_CPPFLAGS)
MONITOR_HDRS := monitor/*.h $(TOP)/unikernels/sdk/hvt_abi.h $(API_HDRS) \
	$(MIGRATION_HDRS)
MONITOR_OBJS := $(MONITOR_SRCS:%.c=$(OBJ)/%.o)
MONITOR_SAN_OBJS := $(MONITOR_SRCS:%.c=$(OBJ)/san/%.o)
MONITOR_LIBS := -lseccomp -ljansson $(MIGRATION_LDLIBS) -lpthread
MONITOR_CORE_SRCS := monitor/options.c monitor/elf_loader.c \
	monitor/manifest.c monitor/guest_memory.c monitor/log.c

ALL_TARGETS += $(BIN)/skiff-monitor $(BUILD)/san/bin/skiff-monitor

$(OBJ)/monitor/%.o: monitor/%.c $(MONITOR_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(MONITOR_CPPFLAGS) -MMD -c $< -o $@

$(OBJ)/san/monitor/%.o: monitor/%.c $(MONITOR_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -DSKIFF_SANITIZE $(MONITOR_CPPFLAGS) -c $< -o $@

# Static (static-pie): exec is a large part of a short VM's start-up on
# these hosts, and dynamic loading of libseccomp and jansson costs about
# 0.3 ms of it (bench/boot); a static binary also drops straight into the
# kmod lab's initramfs.
$(BIN)/skiff-monitor: $(MONITOR_OBJS) $(API_LIB) $(MIGRATION_LIB)
	@mkdir -p $(@D)
	$(CC) -static-pie -Wl,-z,relro,-z,now -o $@ $^ $(MONITOR_LIBS)

$(BUILD)/san/bin/skiff-monitor: $(MONITOR_SAN_OBJS) $(API_SAN_OBJS) \
		$(MIGRATION_SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(MONITOR_LIBS)

BATS_SUITES += $(TOP)/tests/bats/monitor.bats \
	$(TOP)/tests/bats/monitor_snapshot.bats \
	$(TOP)/tests/bats/monitor_migrate.bats \
	$(TOP)/tests/bats/monitor_churn.bats \
	$(TOP)/tests/bats/monitor_migrate_devices.bats \
	$(TOP)/tests/bats/monitor_faults.bats
BATS_HOST_SUITES += $(TOP)/tests/bats/harness.bats

INSTALL_TARGETS += install-monitor
.PHONY: install-monitor
install-monitor: $(BIN)/skiff-monitor
	install -D -m 0755 $(BIN)/skiff-monitor $(DESTDIR)$(PREFIX)/bin/skiff-monitor
