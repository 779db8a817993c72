# SPDX-License-Identifier: ISC
#
# The skiff guest SDK and the rule that builds an hvt image from an
# application's sources. Included by unikernels/unikernels.mk.
#
#   $(eval $(call skiff_image,NAME,SRCDIR[,MANIFEST[,CFLAGS[,LDSCRIPT[,EXTRA_OBJS]]]]))
#
# builds $(BUILD)/unikernels/NAME.hvt from SRCDIR/*.c and *.S. MANIFEST
# (default SRCDIR/manifest if present, else no devices) lists the devices,
# one "NAME block|net" per line. CFLAGS defaults to $(SDK_CFLAGS), which
# keeps the compiler off SSE registers.

SDK_DIR    := $(TOP)/unikernels/sdk
SDK_OUT    := $(OBJ)/unikernels/sdk
GUEST_OUT  := $(BUILD)/unikernels
MFTGEN     := $(SDK_OUT)/mftgen
SDK_LDS    := $(SDK_DIR)/hvt.lds

# Freestanding, static, non-PIC, no red zone (exceptions use the same
# stack), no stack protector or CET (no runtime for them), and no builtin
# loops turned back into calls to memset() inside memset().
SDK_BASE_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-pic \
	-fno-pie -mno-red-zone -mcmodel=small -fno-stack-protector \
	-fcf-protection=none -fno-asynchronous-unwind-tables \
	-fno-omit-frame-pointer -fno-tree-loop-distribute-patterns \
	-malign-data=abi \
	-I$(SDK_DIR)
SDK_CFLAGS := $(SDK_BASE_CFLAGS) -mgeneral-regs-only
SDK_FPU_CFLAGS := $(SDK_BASE_CFLAGS) -msse2
SDK_LDFLAGS := -nostdlib -static -no-pie -Wl,-z,max-page-size=0x1000 \
	-Wl,-z,noexecstack -Wl,--build-id=none -Wl,--fatal-warnings

SDK_SRCS := $(wildcard $(SDK_DIR)/*.c $(SDK_DIR)/*.S)
SDK_SRCS := $(filter-out $(SDK_DIR)/mftgen.c,$(SDK_SRCS))
SDK_OBJS := $(patsubst $(SDK_DIR)/%,$(SDK_OUT)/%.o,$(SDK_SRCS))
SDK_HDRS := $(wildcard $(SDK_DIR)/*.h)

$(SDK_OUT)/%.c.o: $(SDK_DIR)/%.c $(SDK_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SDK_CFLAGS) -c -o $@ $<

$(SDK_OUT)/%.S.o: $(SDK_DIR)/%.S
	@mkdir -p $(@D)
	$(CC) $(SDK_CFLAGS) -c -o $@ $<

$(MFTGEN): $(SDK_DIR)/mftgen.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -o $@ $<

define skiff_image
$(1)_SRCDIR := $(2)
$(1)_MFT := $(or $(3),$(firstword $(wildcard $(2)/manifest) $(SDK_DIR)/empty.manifest))
$(1)_CFLAGS := $(or $(4),$(SDK_CFLAGS))
$(1)_LDS := $(or $(5),$(SDK_LDS))
$(1)_OUT := $(OBJ)/unikernels/$(1)
$(1)_OBJS := $$(patsubst $(2)/%,$$($(1)_OUT)/%.o,$$(wildcard $(2)/*.c $(2)/*.S)) \
	$$($(1)_OUT)/manifest.c.o $(6)

$$($(1)_OUT)/%.c.o: $(2)/%.c $(SDK_HDRS) $$(wildcard $(2)/*.h)
	@mkdir -p $$(@D)
	$$(CC) $$($(1)_CFLAGS) -I$(2) -c -o $$@ $$<

$$($(1)_OUT)/%.S.o: $(2)/%.S
	@mkdir -p $$(@D)
	$$(CC) $$($(1)_CFLAGS) -c -o $$@ $$<

$$($(1)_OUT)/manifest.c: $$($(1)_MFT) $(MFTGEN)
	@mkdir -p $$(@D)
	$(MFTGEN) $(1) $$< $$@

$$($(1)_OUT)/manifest.c.o: $$($(1)_OUT)/manifest.c $(SDK_HDRS)
	$$(CC) $(SDK_CFLAGS) -c -o $$@ $$<

$(GUEST_OUT)/$(1).hvt: $(SDK_OBJS) $$($(1)_OBJS) $$($(1)_LDS)
	@mkdir -p $$(@D)
	$$(CC) $(SDK_LDFLAGS) -T $$($(1)_LDS) -o $$@ $(SDK_OBJS) $$($(1)_OBJS)

ALL_TARGETS += $(GUEST_OUT)/$(1).hvt
endef
