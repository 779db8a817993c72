# SPDX-License-Identifier: ISC
#
# daemon/: skiffd and skiffctl.

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

$(OBJ)/daemon/%.o: $(TOP)/daemon/%.c $(DAEMON_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(API_CPPFLAGS) -I$(TOP)/daemon -c -o $@ $<

$(BIN)/skiffd: $(DAEMON_OBJS) $(API_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(DAEMON_OBJS) $(API_LIB) $(DAEMON_LIBS) \
		$(API_LDLIBS)

$(OBJ)/skiffctl/%.o: $(TOP)/daemon/skiffctl/%.c $(SKIFFCTL_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(API_CPPFLAGS) -I$(TOP)/daemon/skiffctl -c -o $@ $<

$(BIN)/skiffctl: $(SKIFFCTL_OBJS) $(API_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(SKIFFCTL_OBJS) $(API_LIB) $(API_LDLIBS)
