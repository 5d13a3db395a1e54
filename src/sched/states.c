/* states: the name tables for states.h. */
#include "sched/states.h"

#include <string.h>

static const char *const run_type_names[] = {"scheduled", "manual", "backfill"};
static const char *const dagrun_state_names[] = {"queued", "running", "success", "failed"};
static const char *const ti_state_names[] = {
    "none",   "scheduled",    "queued",          "running", "success",
    "failed", "up_for_retry", "upstream_failed", "skipped", "restarting",
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

static int lookup(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *run_type_name(run_type t)
{
    return (size_t)t < COUNT(run_type_names) ? run_type_names[t] : "?";
}

const char *dagrun_state_name(dagrun_state s)
{
    return (size_t)s < COUNT(dagrun_state_names) ? dagrun_state_names[s] : "?";
}

const char *ti_state_name(ti_state s)
{
    return (size_t)s < COUNT(ti_state_names) ? ti_state_names[s] : "?";
}

bool run_type_parse(const char *name, run_type *out)
{
    int i = lookup(run_type_names, COUNT(run_type_names), name);
    if (i >= 0)
        *out = (run_type)i;
    return i >= 0;
}

bool dagrun_state_parse(const char *name, dagrun_state *out)
{
    int i = lookup(dagrun_state_names, COUNT(dagrun_state_names), name);
    if (i >= 0)
        *out = (dagrun_state)i;
    return i >= 0;
}

bool ti_state_parse(const char *name, ti_state *out)
{
    int i = lookup(ti_state_names, COUNT(ti_state_names), name);
    if (i >= 0)
        *out = (ti_state)i;
    return i >= 0;
}

bool ti_state_finished(ti_state s)
{
    return s == TI_SUCCESS || s == TI_FAILED || s == TI_UPSTREAM_FAILED || s == TI_SKIPPED;
}
