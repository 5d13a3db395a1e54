/* sql_trace: the MALLARD_TRACE_SQL statement log (see sql_trace.h). */
#include "engine/sql_trace.h"

#include "util/fs.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t trace_once = PTHREAD_ONCE_INIT;
/* trace_lock guards trace_fd's writes and its closing after a failure. */
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static int trace_fd = -1;
/* Read without the lock so that the untraced path costs no locking. */
static atomic_bool tracing;
static atomic_uint conn_counter;

static void trace_open(void)
{
    const char *path = getenv("MALLARD_TRACE_SQL");
    if (!path || !*path)
        return;
    trace_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (trace_fd >= 0)
        atomic_store(&tracing, true);
    else
        fprintf(stderr, "mallard: cannot open MALLARD_TRACE_SQL file %s: %s; not tracing\n", path,
                strerror(errno));
}

unsigned sql_trace_next_conn_id(void)
{
    return atomic_fetch_add(&conn_counter, 1) + 1;
}

void sql_trace_statement(unsigned conn_id, const char *sql)
{
    pthread_once(&trace_once, trace_open);
    if (!atomic_load(&tracing))
        return;
    pthread_mutex_lock(&trace_lock);
    if (trace_fd < 0) {
        pthread_mutex_unlock(&trace_lock);
        return;
    }
    strbuf rec = STRBUF_INIT;
    size_t len = strlen(sql);
    strbuf_addf(&rec, "-- mallard-trace conn=%u bytes=%zu\n", conn_id, len);
    strbuf_add(&rec, sql, len);
    strbuf_addc(&rec, '\n');
    if (!fs_write_all(trace_fd, rec.buf, rec.len)) {
        fprintf(stderr, "mallard: cannot write the MALLARD_TRACE_SQL file: %s; tracing stops\n",
                strerror(errno));
        close(trace_fd);
        trace_fd = -1;
        atomic_store(&tracing, false);
    }
    pthread_mutex_unlock(&trace_lock);
    strbuf_release(&rec);
}
