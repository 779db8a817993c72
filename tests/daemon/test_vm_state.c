/* SPDX-License-Identifier: ISC */
/*
 * The lifecycle table: legal operations per state, and refusals that
 * name the current state.
 */
#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "skiffd.h"

TEST(names_round_trip)
{
	enum vm_state s, back;

	for (s = 0; s < VM_STATE_COUNT; s++) {
		CHECK(vm_state_parse(vm_state_name(s), &back) == 0);
		CHECK(back == s);
	}
	CHECK(vm_state_parse("bogus", &back) == -1);
}

TEST(legal_table)
{
	static const struct { enum vm_state s; enum vm_op op; bool ok; } t[] = {
		{ VM_DEFINED, VM_OP_START, true }, { VM_STOPPED, VM_OP_START, true },
		{ VM_CRASHED, VM_OP_START, true }, { VM_RUNNING, VM_OP_START, false },
		{ VM_PAUSED, VM_OP_START, false }, { VM_STARTING, VM_OP_START, false },
		{ VM_RUNNING, VM_OP_PAUSE, true }, { VM_PAUSED, VM_OP_PAUSE, false },
		{ VM_STOPPED, VM_OP_PAUSE, false }, { VM_PAUSED, VM_OP_RESUME, true },
		{ VM_RUNNING, VM_OP_RESUME, false }, { VM_RUNNING, VM_OP_STOP, true },
		{ VM_PAUSED, VM_OP_STOP, true }, { VM_STARTING, VM_OP_KILL, true },
		{ VM_DEFINED, VM_OP_STOP, false }, { VM_STOPPED, VM_OP_KILL, false },
		{ VM_RUNNING, VM_OP_DELETE, false }, { VM_STOPPED, VM_OP_DELETE, true },
		{ VM_DEFINED, VM_OP_DELETE, true }, { VM_CRASHED, VM_OP_DELETE, true },
		{ VM_RUNNING, VM_OP_CONSOLE, true }, { VM_DEFINED, VM_OP_CONSOLE, true },
		{ VM_RUNNING, VM_OP_SNAPSHOT, true }, { VM_PAUSED, VM_OP_SNAPSHOT, true },
		{ VM_STARTING, VM_OP_SNAPSHOT, false }, { VM_STOPPED, VM_OP_SNAPSHOT, false },
		{ VM_DEFINED, VM_OP_SNAPSHOT, false }, { VM_CRASHED, VM_OP_SNAPSHOT, false },
	};
	struct jsonrpc_error err = { 0 };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = vm_state_check("v", t[i].s, t[i].op, &err);

		if ((rc == 0) != t[i].ok)
			fprintf(stderr, "  row %zu: state %s op %d\n", i,
				vm_state_name(t[i].s), t[i].op);
		CHECK((rc == 0) == t[i].ok);
	}
	jsonrpc_error_clear(&err);
}

TEST(refusal_names_state)
{
	struct jsonrpc_error err = { 0 };

	CHECK(vm_state_check("web1", VM_STOPPED, VM_OP_PAUSE, &err) == -1);
	CHECK(err.code == SKIFF_ERR_ILLEGAL_STATE);
	CHECK(strstr(err.message, "web1") != NULL);
	CHECK(strstr(err.message, "stopped") != NULL);
	CHECK(strstr(err.message, "pause") != NULL);
	CHECK(!strcmp(json_string_value(json_object_get(err.data, "state")),
		      "stopped"));
	jsonrpc_error_clear(&err);
}

TEST(active_states)
{
	CHECK(vm_state_active(VM_STARTING));
	CHECK(vm_state_active(VM_RUNNING));
	CHECK(vm_state_active(VM_PAUSED));
	CHECK(!vm_state_active(VM_DEFINED));
	CHECK(!vm_state_active(VM_STOPPED));
	CHECK(!vm_state_active(VM_CRASHED));
}

static const struct test_case cases[] = {
	TEST_ENTRY(names_round_trip),
	TEST_ENTRY(legal_table),
	TEST_ENTRY(refusal_names_state),
	TEST_ENTRY(active_states),
};

TEST_MAIN("daemon/vm_state", cases)
