/* run_results: the run_results.json writer (see run_results.h). */
#include "exec/run_results.h"

#include "jinja/value.h"
#include "util/fs.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void run_results_timestamp(const struct timespec *t, char out[32])
{
    struct tm tm;
    time_t secs = t->tv_sec;
    gmtime_r(&secs, &tm);
    size_t len = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    int micros = (int)((t->tv_nsec / 1000) % 1000000);
    snprintf(out + len, 32 - len, ".%06dZ", micros);
}

static jv str_or_none(arena *a, const char *s)
{
    return s ? jv_string(a, s) : jv_none();
}

static jv timing_entry(arena *a, const char *name, const exec_timing *t)
{
    char start[32], end[32];
    run_results_timestamp(&t->started_at, start);
    run_results_timestamp(&t->completed_at, end);
    jv d = jv_dict(a);
    jv_dict_set_str(d, "name", jv_string(a, name));
    jv_dict_set_str(d, "started_at", jv_string(a, start));
    jv_dict_set_str(d, "completed_at", jv_string(a, end));
    return d;
}

jv run_results_entry(arena *a, const exec_result *r)
{
    jv d = jv_dict(a);
    jv_dict_set_str(d, "status", jv_string(a, exec_status_name(r->status)));
    jv timing = jv_list(a);
    if (r->compile.started_at.tv_sec)
        jv_list_append(timing, timing_entry(a, "compile", &r->compile));
    if (r->execute.started_at.tv_sec)
        jv_list_append(timing, timing_entry(a, "execute", &r->execute));
    jv_dict_set_str(d, "timing", timing);
    /* Python names pool threads "Thread-N (worker)"; a node that never ran
     * was settled by the main thread. */
    jv_dict_set_str(d, "thread_id",
                    r->thread >= 0 ? jv_string_fmt(a, "Thread-%d (worker)", r->thread + 1)
                                   : jv_string(a, "MainThread"));
    jv_dict_set_str(d, "execution_time", jv_float(r->execution_time));
    jv resp = jv_dict(a);
    if (r->adapter_message) {
        jv_dict_set_str(resp, "_message", jv_string(a, r->adapter_message));
        if (r->rows_affected >= 0)
            jv_dict_set_str(resp, "rows_affected", jv_int(r->rows_affected));
    }
    jv_dict_set_str(d, "adapter_response", resp);
    jv_dict_set_str(d, "message", str_or_none(a, r->message));
    jv_dict_set_str(d, "failures", r->failures >= 0 ? jv_int(r->failures) : jv_none());
    jv_dict_set_str(d, "unique_id", jv_string(a, r->node->unique_id));
    jv_dict_set_str(d, "compiled", jv_bool(r->compiled_code != NULL));
    jv_dict_set_str(d, "compiled_code", str_or_none(a, r->compiled_code));
    jv_dict_set_str(d, "relation_name", str_or_none(a, r->relation_name));
    return d;
}

void run_results_json(const project *p, const exec_result *results, int n, double elapsed,
                      const char *which, int threads, strbuf *out)
{
    arena a = ARENA_INIT;
    jv root = jv_dict(&a);
    jv meta = jv_dict(&a);
    jv_dict_set_str(meta, "dbt_schema_version",
                    jv_string(&a, "https://schemas.getdbt.com/dbt/run-results/v6.json"));
    jv_dict_set_str(meta, "dbt_version", jv_string(&a, "1.9.0"));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char stamp[32];
    run_results_timestamp(&now, stamp);
    jv_dict_set_str(meta, "generated_at", jv_string(&a, stamp));
    jv_dict_set_str(meta, "invocation_id", str_or_none(&a, p ? p->invocation_id : NULL));
    jv_dict_set_str(meta, "env", jv_dict(&a));
    jv_dict_set_str(root, "metadata", meta);
    jv list = jv_list(&a);
    for (int i = 0; i < n; i++)
        jv_list_append(list, run_results_entry(&a, &results[i]));
    jv_dict_set_str(root, "results", list);
    jv_dict_set_str(root, "elapsed_time", jv_float(elapsed));
    jv args = jv_dict(&a);
    if (which)
        jv_dict_set_str(args, "which", jv_string(&a, which));
    if (threads > 0)
        jv_dict_set_str(args, "threads", jv_int(threads));
    jv_dict_set_str(root, "args", args);
    jv_json_opts o = {.indent = 2};
    jv_to_json_opts(root, &o, out);
    arena_free(&a);
}

bool run_results_write(const project *p, const exec_result *results, int n, double elapsed,
                       const char *which, int threads, mlerr *err)
{
    arena a = ARENA_INIT;
    const char *dir = fs_join(&a, p->dir, p->target_path ? p->target_path : "target");
    bool ok = fs_mkdir_p(dir, err);
    if (ok) {
        strbuf sb = STRBUF_INIT;
        run_results_json(p, results, n, elapsed, which, threads, &sb);
        ok = fs_write_atomic(fs_join(&a, dir, "run_results.json"), sb.buf, sb.len, err);
        strbuf_release(&sb);
    }
    arena_free(&a);
    return ok;
}
