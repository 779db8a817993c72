# SPDX-License-Identifier: ISC
#
# daemon/: skiffd and skiffctl.
#
# skiffd reads snapshot files with the migration codec (migration/),
# whose fragment is included after this one: the prerequisites that name
# its files are expanded a second time, when make has read every fragment.

.SECONDEXPANSION:

DAEMON_SRCS  := $(wildcard $(TOP)/daemon/*.c)
DAEMON_HDRS  := $(wildcard $(TOP)/daemon/*.h) $(API_HDRS)
DAEMON_OBJS  := $(patsubst $(TOP)/daemon/%.c,$(OBJ)/daemon/%.o,$(DAEMON_SRCS))
DAEMON_LIBS  := $(shell pkg-config --libs libevent libsystemd 2>/dev/null || \
		  echo -levent -lsystemd)
# Everything but main(): linked into the daemon's C tests.
DAEMON_CORE_SRCS := $(filter-out $(TOP)/daemon/main.c,$(DAEMON_SRCS))

SKIFFCTL_SRCS := $(wildcard $(TOP)/daemon/skiffctl/*.c)
SKIFFCTL_HDRS := $(wildcard $(TOP)/daemon/skiffctl/*.h) $(API_HDRS)
SKIFFCTL_OBJS := $(patsubst $(TOP)/daemon/skiffctl/%.c,$(OBJ)/skiffctl/%.o,$(SKIFFCTL_SRCS))

ALL_TARGETS += $(BIN)/skiffd $(BIN)/skiffctl

$(OBJ)/daemon/%.o: $(TOP)/daemon/%.c $(DAEMON_HDRS) $$(MIGRATION_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(API_CPPFLAGS) $(MIGRATION_CPPFLAGS) \
		-I$(TOP)/daemon -c -o $@ $<

$(BIN)/skiffd: $(DAEMON_OBJS) $(API_LIB) $$(MIGRATION_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(DAEMON_OBJS) $(API_LIB) $(MIGRATION_LIB) \
		$(DAEMON_LIBS) $(API_LDLIBS) $(MIGRATION_LDLIBS)

$(OBJ)/skiffctl/%.o: $(TOP)/daemon/skiffctl/%.c $(SKIFFCTL_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(API_CPPFLAGS) -I$(TOP)/daemon/skiffctl -c -o $@ $<

$(BIN)/skiffctl: $(SKIFFCTL_OBJS) $(API_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(SKIFFCTL_OBJS) $(API_LIB) $(API_LDLIBS)

# make install: skiffd, skiffctl, the systemd units, the config example,
# the sysusers.d group and the man pages.
SYSTEMD_UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR     ?= $(PREFIX)/lib/sysusers.d
MANDIR          ?= $(PREFIX)/share/man

INSTALL_TARGETS += install-daemon
.PHONY: install-daemon
install-daemon: $(BIN)/skiffd $(BIN)/skiffctl
	install -D -m 0755 $(BIN)/skiffd $(DESTDIR)$(PREFIX)/sbin/skiffd
	install -D -m 0755 $(BIN)/skiffctl $(DESTDIR)$(PREFIX)/bin/skiffctl
	install -d $(DESTDIR)$(SYSTEMD_UNITDIR)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' $(TOP)/systemd/skiffd.service.in \
		>$(DESTDIR)$(SYSTEMD_UNITDIR)/skiffd.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNITDIR)/skiffd.service
	install -m 0644 $(TOP)/systemd/skiffd.socket $(DESTDIR)$(SYSTEMD_UNITDIR)/skiffd.socket
	install -D -m 0644 $(TOP)/systemd/skiff.sysusers $(DESTDIR)$(SYSUSERSDIR)/skiff.conf
	install -D -m 0644 $(TOP)/systemd/skiffd.conf $(DESTDIR)$(PREFIX)/share/doc/skiff/skiffd.conf.example
	install -D -m 0644 $(TOP)/man/skiffd.8 $(DESTDIR)$(MANDIR)/man8/skiffd.8
	install -D -m 0644 $(TOP)/man/skiff-monitor.8 $(DESTDIR)$(MANDIR)/man8/skiff-monitor.8
	install -D -m 0644 $(TOP)/man/skiffctl.1 $(DESTDIR)$(MANDIR)/man1/skiffctl.1

# Benchmarks (bench/api, bench/start): built with everything, run by
# `make bench` (never by check).
BENCH_API_BIN   := $(BUILD)/bench/bench-api
BENCH_START_BIN := $(BUILD)/bench/bench-start
ALL_TARGETS += $(BENCH_API_BIN) $(BENCH_START_BIN)

$(BUILD)/bench/bench-api: $(TOP)/bench/api/bench_api.c $(API_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(API_CPPFLAGS) $(HOST_LDFLAGS) -o $@ $< \
		$(API_LIB) $(API_LDLIBS) -lpthread

$(BUILD)/bench/bench-start: $(TOP)/bench/start/bench_start.c $(API_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(API_CPPFLAGS) $(HOST_LDFLAGS) -o $@ $< \
		$(API_LIB) $(API_LDLIBS)

.PHONY: bench-api bench-start
bench: bench-api bench-start
bench-api: build-all
	@$(TOP)/bench/api/run
bench-start: build-all
	@$(TOP)/bench/start/run
