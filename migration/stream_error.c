/* SPDX-License-Identifier: ISC */
/*
 * Error messages of the stream codec. Every one starts with
 * "migration stream: " so a log line names its origin without the caller
 * adding it.
 */
#include <stdio.h>

#include "stream_wire.h"

void stream_error_set(struct stream_error *err, const char *fmt, ...)
{
	static const char prefix[] = "migration stream: ";
	va_list ap;

	if (!err)
		return;
	memcpy(err->msg, prefix, sizeof(prefix));
	va_start(ap, fmt);
	vsnprintf(err->msg + sizeof(prefix) - 1,
		  sizeof(err->msg) - sizeof(prefix) + 1, fmt, ap);
	va_end(ap);
}

const char *stream_section_name(uint16_t type)
{
	switch (type) {
	case WIRE_SEC_CONFIG:
		return "config";
	case WIRE_SEC_MEMORY:
		return "memory";
	case WIRE_SEC_VCPU:
		return "vcpu";
	case WIRE_SEC_DEVICE:
		return "device";
	case WIRE_SEC_ACK:
		return "ack";
	case WIRE_SEC_END:
		return "end";
	case WIRE_SEC_DEFINITION:
		return "definition";
	case WIRE_SEC_CLOCK:
		return "clock";
	case WIRE_SEC_CONSOLE:
		return "console";
	}
	return "unknown";
}
