# SPDX-License-Identifier: ISC
# C unit tests of the monitor's cores, under ASan+UBSan.

UNIT_TESTS := elf_loader options hypercalls dirty_marks
UNIT_BIN   := $(BUILD)/tests/unit
UNIT_MON_OBJS := $(filter-out %/main.o,$(MONITOR_SAN_OBJS))

ALL_TARGETS += $(UNIT_TESTS:%=$(UNIT_BIN)/test_%)
UNIT_RUNS   += $(UNIT_TESTS:%=unit-run-%)

$(UNIT_BIN)/test_%: tests/unit/test_%.c $(UNIT_MON_OBJS) $(API_SAN_OBJS) \
		$(MIGRATION_SAN_OBJS) tests/lib/test_harness.h $(MONITOR_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(MONITOR_CPPFLAGS) -Itests/lib -o $@ $< \
		$(UNIT_MON_OBJS) $(API_SAN_OBJS) $(MIGRATION_SAN_OBJS) \
		$(MONITOR_LIBS)

.PHONY: $(UNIT_TESTS:%=unit-run-%)
$(UNIT_TESTS:%=unit-run-%): unit-run-%: $(UNIT_BIN)/test_%
	@mkdir -p $(RESULTS)
	SKIFF_RESULTS=$(RESULTS)/unit-$* $<
