/* instance_lock: at most one scheduler per MALLARD_HOME.
 *
 * The scheduler holds an exclusive flock(2) on MALLARD_HOME/scheduler.pid for
 * its whole life and writes its PID there.  The kernel drops the lock when
 * the process dies, even by kill -9, so a stale file never blocks a restart:
 * staleness is decided by the lock, not by the PID in the file (which may
 * have been reused).  A second scheduler fails at once, naming the PID. */
#ifndef MALLARD_SCHED_INSTANCE_LOCK_H
#define MALLARD_SCHED_INSTANCE_LOCK_H

#include "util/error.h"

#include <stdbool.h>
#include <sys/types.h>

typedef struct instance_lock {
    int fd; /* -1 when not held */
    char *path;
} instance_lock;

bool instance_lock_acquire(const char *home, instance_lock *out, mlerr *err);
void instance_lock_release(instance_lock *lock);
/* The PID of the scheduler holding home's lock, or 0 when none does. */
pid_t instance_lock_holder(const char *home);

#endif
