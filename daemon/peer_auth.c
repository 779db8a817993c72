/* SPDX-License-Identifier: ISC */
/*
 * Who is on the other end of the API socket, and opening (creating,
 * unlinking) files with the peer's credentials so that the daemon never
 * touches a file for a client that the client could not touch itself (no
 * confused deputy).
 *
 * The daemon is single-threaded: switching the file-system uid/gid and
 * the supplementary groups with raw system calls affects only this
 * thread, and every switch is undone before peer_open() returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "skiffd.h"

/* Supplementary groups from /proc/PID/status ("Groups: 1 2 3"). */
static void peer_groups(struct peer_cred *pc)
{
	char path[64], line[4096], *p, *end;
	FILE *f;
	long g;

	pc->ngroups = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pc->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Groups:", 7))
			continue;
		p = line + 7;
		for (;;) {
			g = strtol(p, &end, 10);
			if (end == p || pc->ngroups == PEER_GROUPS_MAX)
				break;
			pc->groups[pc->ngroups++] = (gid_t)g;
			p = end;
		}
		break;
	}
	fclose(f);
}

int peer_cred_get(int fd, struct peer_cred *pc)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	memset(pc, 0, sizeof(*pc));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -1;
	pc->pid = uc.pid;
	pc->uid = uc.uid;
	pc->gid = uc.gid;
	peer_groups(pc);
	return 0;
}

bool peer_allowed(const struct peer_cred *pc, gid_t socket_gid)
{
	int i;

	if (pc->uid == 0 || pc->uid == geteuid())
		return true;
	if (socket_gid == (gid_t)-1)
		return false;
	if (pc->gid == socket_gid)
		return true;
	for (i = 0; i < pc->ngroups; i++)
		if (pc->groups[i] == socket_gid)
			return true;
	return false;
}

bool peer_may_manage(const struct peer_cred *pc,
		     const struct peer_cred *owner)
{
	return pc->uid == 0 || pc->uid == geteuid() || pc->uid == owner->uid;
}

static int set_groups(size_t n, const gid_t *groups)
{
	/* The raw call: glibc's setgroups() would apply it to all threads. */
	return syscall(SYS_setgroups, n, groups);
}

/* What to do as the peer: open (or create) or unlink @path. */
struct peer_op {
	const char *path;
	int flags;
	mode_t mode;
	bool unlink;
};

static int do_op(const struct peer_op *op)
{
	if (op->unlink)
		return unlink(op->path);
	return open(op->path, op->flags | O_CLOEXEC | O_NOCTTY, op->mode);
}

/* Act as the peer; the caller restores the credentials. */
static int op_switched(const struct peer_cred *pc, const struct peer_op *op)
{
	if (set_groups(pc->ngroups, pc->groups) < 0)
		return -1;
	setfsgid(pc->gid);
	setfsuid(pc->uid);
	if ((uid_t)setfsuid(pc->uid) != pc->uid ||
	    (gid_t)setfsgid(pc->gid) != pc->gid) {
		errno = EPERM;
		return -1;
	}
	return do_op(op);
}

static int peer_do(const struct peer_cred *pc, const struct peer_op *op)
{
	gid_t saved[PEER_GROUPS_MAX * 2];
	int nsaved, rc, saved_errno;
	uid_t euid = geteuid();
	gid_t egid = getegid();

	if (euid != 0) {
		/* An unprivileged daemon can only act as itself. */
		if (pc->uid != euid) {
			errno = EACCES;
			return -1;
		}
		return do_op(op);
	}
	nsaved = getgroups(PEER_GROUPS_MAX * 2, saved);
	if (nsaved < 0)
		return -1;
	rc = op_switched(pc, op);
	saved_errno = errno;
	setfsuid(euid);
	setfsgid(egid);
	if (set_groups(nsaved, saved) < 0) {
		/* Cannot go on with someone else's groups. */
		log_err("restoring supplementary groups: %s", strerror(errno));
		abort();
	}
	errno = saved_errno;
	return rc;
}

int peer_open(const struct peer_cred *pc, const char *path, int flags)
{
	struct peer_op op = { .path = path, .flags = flags };

	return peer_do(pc, &op);
}

int peer_create(const struct peer_cred *pc, const char *path, int flags,
		mode_t mode)
{
	struct peer_op op = { .path = path, .flags = flags | O_CREAT,
			      .mode = mode };

	return peer_do(pc, &op);
}

int peer_unlink(const struct peer_cred *pc, const char *path)
{
	struct peer_op op = { .path = path, .unlink = true };

	return peer_do(pc, &op);
}

json_t *peer_cred_json(const struct peer_cred *pc)
{
	json_t *groups = json_array();
	int i;

	for (i = 0; i < pc->ngroups; i++)
		json_array_append_new(groups, json_integer(pc->groups[i]));
	return json_pack("{s:I,s:I,s:o}", "uid", (json_int_t)pc->uid,
			 "gid", (json_int_t)pc->gid, "groups", groups);
}

int peer_cred_from_json(json_t *j, struct peer_cred *pc)
{
	json_t *groups = json_object_get(j, "groups"), *g;
	json_t *uid = json_object_get(j, "uid"), *gid = json_object_get(j, "gid");
	size_t i;

	memset(pc, 0, sizeof(*pc));
	if (!json_is_integer(uid) || !json_is_integer(gid) ||
	    !json_is_array(groups) ||
	    json_array_size(groups) > PEER_GROUPS_MAX)
		return -1;
	pc->uid = json_integer_value(uid);
	pc->gid = json_integer_value(gid);
	json_array_foreach(groups, i, g) {
		if (!json_is_integer(g))
			return -1;
		pc->groups[pc->ngroups++] = json_integer_value(g);
	}
	return 0;
}
