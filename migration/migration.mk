# SPDX-License-Identifier: ISC
#
# migration/: the migration stream codec (docs/migration.md), a library
# for skiff-monitor's later migration and snapshot code.
#
# For other components:
#   MIGRATION_LIB       build/lib/libskiff-migration.a (HOST_CFLAGS)
#   MIGRATION_SAN_OBJS  the same sources with SAN_CFLAGS (unit tests)
#   MIGRATION_SRCS      the sources (fuzz targets build them with clang)
#   MIGRATION_CPPFLAGS  -I for "stream.h"
#   MIGRATION_LDLIBS    libsodium

MIGRATION_SRCS     := $(wildcard $(TOP)/migration/*.c)
MIGRATION_HDRS     := $(wildcard $(TOP)/migration/*.h)
MIGRATION_OBJS     := $(patsubst $(TOP)/migration/%.c,$(OBJ)/migration/%.o,$(MIGRATION_SRCS))
MIGRATION_SAN_OBJS := $(patsubst $(TOP)/migration/%.c,$(OBJ)/migration-san/%.o,$(MIGRATION_SRCS))
MIGRATION_LIB      := $(BUILD)/lib/libskiff-migration.a
MIGRATION_CPPFLAGS := -I$(TOP)/migration
MIGRATION_LDLIBS   := $(shell pkg-config --libs libsodium 2>/dev/null || echo -lsodium)

ALL_TARGETS += $(MIGRATION_LIB)

$(OBJ)/migration/%.o: $(TOP)/migration/%.c $(MIGRATION_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(MIGRATION_CPPFLAGS) -c -o $@ $<

$(OBJ)/migration-san/%.o: $(TOP)/migration/%.c $(MIGRATION_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $(MIGRATION_CPPFLAGS) -c -o $@ $<

$(MIGRATION_LIB): $(MIGRATION_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

.SECONDARY: $(MIGRATION_SAN_OBJS)

# bench/migrate_stream: codec and crypto throughput against memcpy.
# Never part of check; `make bench-migrate-stream` (MiB=N to resize).
BENCH_MIGRATE_STREAM := $(BUILD)/bench/bench-migrate-stream
ALL_TARGETS += $(BENCH_MIGRATE_STREAM)

$(BENCH_MIGRATE_STREAM): $(TOP)/bench/migrate_stream/bench_migrate_stream.c $(MIGRATION_LIB) $(MIGRATION_HDRS) $(TOP)/tests/migration/stream_fixture.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(MIGRATION_CPPFLAGS) -I$(TOP)/tests/migration $(HOST_LDFLAGS) -o $@ $< \
		$(MIGRATION_LIB) $(MIGRATION_LDLIBS)

.PHONY: bench-migrate-stream
bench: bench-migrate-stream
bench-migrate-stream: $(BENCH_MIGRATE_STREAM)
	@$(BENCH_MIGRATE_STREAM) $(MiB)
