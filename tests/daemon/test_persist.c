/* SPDX-License-Identifier: ISC */
/*
 * Atomic writes: the file holds the old or the new content, never a
 * mix, and no temp file is left behind.
 */
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "skiffd.h"

static char dir[] = "/tmp/skiff-test-persist-XXXXXX";

static size_t entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' || strlen(de->d_name) > 2)
			n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

TEST(write_and_replace)
{
	json_t *j;

	REQUIRE(mkdtemp(dir) != NULL);
	CHECK(persist_write_atomic(dir, "a.json", "{\"v\":1}", 7) == 0);
	j = persist_read_json(dir, "a.json");
	CHECK(json_integer_value(json_object_get(j, "v")) == 1);
	json_decref(j);
	CHECK(persist_write_atomic(dir, "a.json", "{\"v\":2}", 7) == 0);
	j = persist_read_json(dir, "a.json");
	CHECK(json_integer_value(json_object_get(j, "v")) == 2);
	json_decref(j);
	CHECK(entries() == 1);
}

TEST(failed_write_keeps_old)
{
	char sub[sizeof(dir) + 16];

	snprintf(sub, sizeof(sub), "%s/missing", dir);
	CHECK(persist_write_atomic(sub, "a.json", "x", 1) == -1);
	CHECK(entries() == 1);
}

TEST(mkdir_p)
{
	char deep[sizeof(dir) + 32];

	snprintf(deep, sizeof(deep), "%s/x/y/z", dir);
	CHECK(persist_mkdir_p(deep, 0700) == 0);
	CHECK(access(deep, F_OK) == 0);
	CHECK(persist_mkdir_p(deep, 0700) == 0);
	snprintf(deep, sizeof(deep), "%s/x/y/z", dir);
	rmdir(deep);
	snprintf(deep, sizeof(deep), "%s/x/y", dir);
	rmdir(deep);
	snprintf(deep, sizeof(deep), "%s/x", dir);
	rmdir(deep);
	snprintf(deep, sizeof(deep), "%s/a.json", dir);
	unlink(deep);
	rmdir(dir);
}

static const struct test_case cases[] = {
	TEST_ENTRY(write_and_replace),
	TEST_ENTRY(failed_write_keeps_old),
	TEST_ENTRY(mkdir_p),
};

TEST_MAIN("daemon/persist", cases)
