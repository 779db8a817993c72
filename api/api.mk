# SPDX-License-Identifier: ISC
#
# api/: the JSON-RPC 2.0 codec shared by skiffd, skiff-monitor and
# skiffctl, and the OpenRPC schema of skiffd's API.
#
# For other components:
#   API_LIB       static library (build/lib/libskiff-api.a), built with
#                 HOST_CFLAGS
#   API_SAN_OBJS  the same sources built with SAN_CFLAGS (unit tests)
#   API_CPPFLAGS  -I for "jsonrpc.h", "rpc_params.h", "line_reader.h"
#   API_LDLIBS    what a program linking API_LIB needs (jansson)
#   API_SCHEMA    api/skiff.openrpc.json

API_SRCS     := $(wildcard $(TOP)/api/*.c)
API_HDRS     := $(wildcard $(TOP)/api/*.h)
API_OBJS     := $(patsubst $(TOP)/api/%.c,$(OBJ)/api/%.o,$(API_SRCS))
API_SAN_OBJS := $(patsubst $(TOP)/api/%.c,$(OBJ)/api-san/%.o,$(API_SRCS))
API_LIB      := $(BUILD)/lib/libskiff-api.a
API_CPPFLAGS := -I$(TOP)/api
API_LDLIBS   := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
API_SCHEMA   := $(TOP)/api/skiff.openrpc.json

ALL_TARGETS += $(API_LIB)

$(OBJ)/api/%.o: $(TOP)/api/%.c $(API_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(API_CPPFLAGS) -c -o $@ $<

$(OBJ)/api-san/%.o: $(TOP)/api/%.c $(API_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $(API_CPPFLAGS) -c -o $@ $<

$(API_LIB): $(API_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# Keep the sanitizer objects: they are shared by several test binaries.
.SECONDARY: $(API_SAN_OBJS)
