/* console: dbt's run output lines (see console.h). */
#include "exec/console.h"

#include "util/log.h"
#include "util/strbuf.h"

#include <string.h>

enum {
    PRINTER_WIDTH = 80
};

const char *exec_status_name(exec_status s)
{
    static const char *const names[] = {"success", "error", "skipped", "pass", "warn", "fail"};
    return names[s];
}

const char *console_describe(arena *a, const pnode *n)
{
    const char *schema = n->schema ? n->schema : "";
    const char *alias = n->alias ? n->alias : n->name;
    switch (n->type) {
    case NODE_MODEL:
        return arena_printf(a, "%s %s model %s.%s", n->language ? n->language : "sql",
                            n->materialized ? n->materialized : "view", schema, alias);
    case NODE_SEED:
        return arena_printf(a, "seed file %s.%s", schema, alias);
    case NODE_SNAPSHOT:
        return arena_printf(a, "snapshot %s.%s", schema, alias);
    case NODE_TEST:
        return arena_printf(a, "test %s", n->name);
    default:
        return arena_printf(a, "%s %s", node_type_name(n->type), n->name);
    }
}

const char *console_fancy_line(arena *a, const char *msg, const char *status, int index, int total,
                               double seconds)
{
    strbuf sb = STRBUF_INIT;
    if (total > 0)
        strbuf_addf(&sb, "%d of %d ", index, total);
    strbuf_addf(&sb, "%s ", msg);
    while (sb.len < PRINTER_WIDTH)
        strbuf_addc(&sb, '.');
    strbuf_addf(&sb, " [%s", status);
    if (seconds >= 0)
        strbuf_addf(&sb, " in %0.2fs", seconds);
    strbuf_addc(&sb, ']');
    const char *s = arena_strdup(a, strbuf_str(&sb));
    strbuf_release(&sb);
    return s;
}

static const char *paint(arena *a, const char *text, log_color c, bool color)
{
    if (!color)
        return text;
    return arena_printf(a, "%s%s%s", log_color_code(c), text, log_color_code(COLOR_RESET));
}

const char *console_start_line(arena *a, const pnode *n, int index, int total, bool color)
{
    const char *msg = arena_printf(a, "START %s", console_describe(a, n));
    return console_fancy_line(a, msg, "RUN", index, total, -1);
}

static bool refable(const pnode *n)
{
    return n->type == NODE_MODEL || n->type == NODE_SEED || n->type == NODE_SNAPSHOT;
}

const char *console_result_line(arena *a, const exec_result *r, int index, int total, bool color)
{
    const pnode *n = r->node;
    const char *desc = console_describe(a, n);
    const char *schema = n->schema ? n->schema : "";
    const char *alias = n->alias ? n->alias : n->name;
    double t = r->execution_time;
    if (r->status == EXEC_SKIPPED) {
        const char *msg = refable(n)
                              ? arena_printf(a, "SKIP relation %s.%s", schema, alias)
                              : arena_printf(a, "SKIP %s %s", node_type_name(n->type), n->name);
        return console_fancy_line(a, msg, paint(a, "SKIP", COLOR_YELLOW, color), index, total, -1);
    }
    if (n->type == NODE_TEST) {
        const char *info;
        log_color c;
        switch (r->status) {
        case EXEC_PASS:
            info = "PASS";
            c = COLOR_GREEN;
            break;
        case EXEC_WARN:
            info = arena_printf(a, "WARN %lld", r->failures);
            c = COLOR_YELLOW;
            break;
        case EXEC_FAIL:
            info = arena_printf(a, "FAIL %lld", r->failures);
            c = COLOR_RED;
            break;
        default:
            info = "ERROR";
            c = COLOR_RED;
            break;
        }
        return console_fancy_line(a, arena_printf(a, "%s %s", info, n->name),
                                  paint(a, info, c, color), index, total, t);
    }
    bool seed = n->type == NODE_SEED;
    if (r->status == EXEC_ERROR) {
        const char *msg = arena_printf(a, "%s %s", seed ? "ERROR loading" : "ERROR creating", desc);
        return console_fancy_line(a, msg, paint(a, "ERROR", COLOR_RED, color), index, total, t);
    }
    const char *msg = arena_printf(a, "%s %s", seed ? "OK loaded" : "OK created", desc);
    const char *status = r->message ? r->message : "OK";
    return console_fancy_line(a, msg, paint(a, status, COLOR_GREEN, color), index, total, t);
}

/* dbt's get_counts key for a node: "view model", "seed", "data test". */
static const char *count_kind(arena *a, const pnode *n)
{
    if (n->type == NODE_MODEL)
        return arena_printf(a, "%s model", n->materialized ? n->materialized : "view");
    if (n->type == NODE_TEST)
        return "data test";
    return node_type_name(n->type);
}

const char *console_stat_line(arena *a, const exec_result *results, int n)
{
    const char **kinds = arena_alloc(a, sizeof(*kinds) * (size_t)(n ? n : 1));
    int *counts = arena_zalloc(a, sizeof(int) * (size_t)(n ? n : 1));
    int nk = 0;
    for (int i = 0; i < n; i++) {
        const char *k = count_kind(a, results[i].node);
        int j = 0;
        while (j < nk && strcmp(kinds[j], k) != 0)
            j++;
        if (j == nk)
            kinds[nk++] = k;
        counts[j]++;
    }
    strbuf sb = STRBUF_INIT;
    for (int j = 0; j < nk; j++)
        strbuf_addf(&sb, "%s%d %s%s", j ? ", " : "", counts[j], kinds[j],
                    counts[j] == 1 ? "" : "s");
    const char *s = arena_strdup(a, strbuf_str(&sb));
    strbuf_release(&sb);
    return s;
}

const char *console_finished_line(arena *a, const exec_result *results, int n, double seconds)
{
    long whole_minutes = (long)(seconds / 60);
    double secs = seconds - (double)whole_minutes * 60;
    long hours = whole_minutes / 60, minutes = whole_minutes % 60;
    return arena_printf(a,
                        "Finished running %s in %ld hours %ld minutes and %0.2f seconds "
                        "(%0.2fs).",
                        console_stat_line(a, results, n), hours, minutes, secs, seconds);
}

static bool is_error(const exec_result *r)
{
    return r->status == EXEC_ERROR || r->status == EXEC_FAIL ||
           (r->status == EXEC_SKIPPED && r->fail_fast_skip);
}

static const char *plural(arena *a, int n, const char *word)
{
    return arena_printf(a, "%d %s%s", n, word, n == 1 ? "" : "s");
}

const char *console_end_summary(arena *a, const exec_result *results, int n, bool interrupted,
                                bool color)
{
    int errors = 0, warnings = 0;
    for (int i = 0; i < n; i++) {
        if (is_error(&results[i]))
            errors++;
        else if (results[i].status == EXEC_WARN)
            warnings++;
    }
    if (interrupted)
        return paint(a, "Exited because of keyboard interrupt", COLOR_YELLOW, color);
    if (errors)
        return paint(a,
                     arena_printf(a, "Completed with %s and %s:", plural(a, errors, "error"),
                                  plural(a, warnings, "warning")),
                     COLOR_RED, color);
    if (warnings)
        return paint(a, arena_printf(a, "Completed with %s:", plural(a, warnings, "warning")),
                     COLOR_YELLOW, color);
    return paint(a, "Completed successfully", COLOR_GREEN, color);
}

const char *console_done_line(arena *a, const exec_result *results, int n)
{
    int pass = 0, warn = 0, error = 0, skip = 0;
    for (int i = 0; i < n; i++) {
        switch (results[i].status) {
        case EXEC_SUCCESS:
        case EXEC_PASS:
            pass++;
            break;
        case EXEC_WARN:
            warn++;
            break;
        case EXEC_ERROR:
        case EXEC_FAIL:
            error++;
            break;
        case EXEC_SKIPPED:
            skip++;
            break;
        }
    }
    return arena_printf(a, "Done. PASS=%d WARN=%d ERROR=%d SKIP=%d TOTAL=%d", pass, warn, error,
                        skip, n);
}

/* One error or warning as dbt lists it after the summary. */
static void print_problem(arena *a, const exec_result *r, bool color)
{
    const pnode *n = r->node;
    const char *what = node_type_name(n->type);
    const char *path = n->original_file_path ? n->original_file_path : "";
    log_info("%s", "");
    if (r->status == EXEC_FAIL || r->status == EXEC_WARN) {
        log_info("  %s in %s %s (%s)", r->status == EXEC_FAIL ? "Failure" : "Warning", what,
                 n->name, path);
        log_info("  %s", r->message ? r->message : "");
        if (n->compiled_path) {
            log_info("%s", "");
            log_info("  compiled code at %s", n->compiled_path);
        }
        if (n->type == NODE_TEST && r->relation_name) {
            /* dbt's CheckNodeTestFailure, under the compiled path */
            const char *query = arena_printf(a, "select * from %s", r->relation_name);
            size_t width = strlen(query);
            char *border = arena_alloc(a, width + 1);
            memset(border, '-', width);
            border[width] = 0;
            log_info("%s", "");
            log_info("  See test failures:");
            log_info("  %s", border);
            log_info("  %s", query);
            log_info("  %s", border);
        }
        return;
    }
    if (r->status == EXEC_SKIPPED) {
        log_info("  Skipping %s %s because of --fail-fast", what, n->name);
        return;
    }
    log_info("  %s in %s %s (%s)", paint(a, "Database Error", COLOR_RED, color), what, n->name,
             path);
    /* The error text, each line indented as dbt indents it. */
    const char *msg = r->message ? r->message : "";
    while (*msg) {
        const char *nl = strchr(msg, '\n');
        size_t len = nl ? (size_t)(nl - msg) : strlen(msg);
        log_info("    %.*s", (int)len, msg);
        msg += len + (nl ? 1 : 0);
    }
}

void console_print_run_end(const exec_result *results, int n, double seconds, bool interrupted)
{
    arena a = ARENA_INIT;
    bool color = log_color_enabled();
    log_info("%s", "");
    log_info("%s", console_finished_line(&a, results, n, seconds));
    log_info("%s", "");
    log_info("%s", console_end_summary(&a, results, n, interrupted, color));
    for (int i = 0; i < n; i++) {
        if (is_error(&results[i]))
            print_problem(&a, &results[i], color);
    }
    for (int i = 0; i < n; i++) {
        if (results[i].status == EXEC_WARN)
            print_problem(&a, &results[i], color);
    }
    log_info("%s", "");
    log_info("%s", console_done_line(&a, results, n));
    arena_free(&a);
}
