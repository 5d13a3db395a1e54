/* dbt's console lines and run_results.json.  The expected lines were
 * produced by dbt's format_fancy_output_line algorithm (80-column ljust
 * with dots) run in Python. */
#include "check.h"
#include "exec/console.h"
#include "exec/run_results.h"

#include <jansson.h>

static arena A;

static pnode node(node_type t, const char *name, const char *mat, const char *schema)
{
    pnode n = {0};
    n.type = t;
    n.name = name;
    n.alias = name;
    n.schema = schema;
    n.materialized = mat;
    n.language = "sql";
    n.unique_id = arena_printf(&A, "%s.shop.%s", node_type_name(t), name);
    n.original_file_path = arena_printf(&A, "models/%s.sql", name);
    return n;
}

TEST(lines_match_dbt)
{
    pnode stg = node(NODE_MODEL, "stg_customers", "view", "main");
    CHECK_STR(console_start_line(&A, &stg, 1, 28, false),
              "1 of 28 START sql view model main.stg_customers ................................ "
              "[RUN]");
    pnode orders = node(NODE_MODEL, "orders", "table", "analytics");
    exec_result r = {
        .node = &orders, .status = EXEC_SUCCESS, .execution_time = 0.0449, .message = "OK"};
    CHECK_STR(console_result_line(&A, &r, 12, 28, false),
              "12 of 28 OK created sql table model analytics.orders ........................... "
              "[OK in 0.04s]");
    pnode seed = node(NODE_SEED, "raw_orders", "seed", "main");
    r = (exec_result){
        .node = &seed, .status = EXEC_SUCCESS, .execution_time = 1.5, .message = "INSERT 12"};
    CHECK_STR(console_result_line(&A, &r, 2, 28, false),
              "2 of 28 OK loaded seed file main.raw_orders .................................... "
              "[INSERT 12 in 1.50s]");
    pnode test = node(NODE_TEST, "not_null_orders_id", "test", "main_dbt_test__audit");
    r = (exec_result){.node = &test, .status = EXEC_FAIL, .execution_time = 0.01, .failures = 3};
    CHECK_STR(console_result_line(&A, &r, 3, 28, false),
              "3 of 28 FAIL 3 not_null_orders_id .............................................. "
              "[FAIL 3 in 0.01s]");
    pnode cust = node(NODE_MODEL, "customers", "table", "main");
    r = (exec_result){.node = &cust, .status = EXEC_SKIPPED};
    CHECK_STR(console_result_line(&A, &r, 4, 28, false),
              "4 of 28 SKIP relation main.customers ........................................... "
              "[SKIP]");
    pnode longest = node(NODE_TEST,
                         "a_very_long_test_name_that_goes_past_the_eighty_column_printer_width_"
                         "for_sure",
                         "test", "main");
    CHECK_STR(console_start_line(&A, &longest, 5, 28, false),
              "5 of 28 START test "
              "a_very_long_test_name_that_goes_past_the_eighty_column_printer_width_for_sure  "
              "[RUN]");
    r = (exec_result){.node = &test, .status = EXEC_PASS, .execution_time = 0.02};
    CHECK_CONTAINS(console_result_line(&A, &r, 6, 28, false), "6 of 28 PASS not_null_orders_id");
    r.status = EXEC_WARN;
    r.failures = 2;
    CHECK_CONTAINS(console_result_line(&A, &r, 6, 28, false), "[WARN 2 in 0.02s]");
    r = (exec_result){.node = &orders, .status = EXEC_ERROR, .execution_time = 0.1};
    CHECK_CONTAINS(console_result_line(&A, &r, 7, 28, false),
                   "7 of 28 ERROR creating sql table model analytics.orders");
    CHECK_CONTAINS(console_result_line(&A, &r, 7, 28, false), "[ERROR in 0.10s]");
}

TEST(summary_lines)
{
    pnode v1 = node(NODE_MODEL, "a", "view", "main"), v2 = node(NODE_MODEL, "b", "view", "main");
    pnode t1 = node(NODE_MODEL, "c", "table", "main");
    pnode s1 = node(NODE_SEED, "d", "seed", "main");
    pnode x1 = node(NODE_TEST, "e", "test", "main"), x2 = node(NODE_TEST, "f", "test", "main");
    exec_result rs[] = {
        {.node = &s1, .status = EXEC_SUCCESS}, {.node = &v1, .status = EXEC_SUCCESS},
        {.node = &v2, .status = EXEC_ERROR},   {.node = &t1, .status = EXEC_SKIPPED},
        {.node = &x1, .status = EXEC_WARN},    {.node = &x2, .status = EXEC_PASS},
    };
    CHECK_STR(console_stat_line(&A, rs, 6), "1 seed, 2 view models, 1 table model, 2 data tests");
    CHECK_STR(console_finished_line(&A, rs, 6, 3723.456),
              "Finished running 1 seed, 2 view models, 1 table model, 2 data tests in 1 hours 2 "
              "minutes and 3.46 seconds (3723.46s).");
    CHECK_STR(console_end_summary(&A, rs, 6, false, false),
              "Completed with 1 error and 1 warning:");
    CHECK_STR(console_done_line(&A, rs, 6), "Done. PASS=3 WARN=1 ERROR=1 SKIP=1 TOTAL=6");
    CHECK_STR(console_end_summary(&A, rs, 2, false, false), "Completed successfully");
    CHECK_STR(console_end_summary(&A, rs + 4, 1, false, false), "Completed with 1 warning:");
    CHECK_STR(console_end_summary(&A, rs, 6, true, false), "Exited because of keyboard interrupt");
}

TEST(run_results_json_fields)
{
    project p = {0};
    p.invocation_id = "inv-1";
    pnode m = node(NODE_MODEL, "orders", "table", "main");
    pnode t = node(NODE_TEST, "not_null_orders_id", "test", "main");
    exec_result rs[2] = {
        {.node = &m,
         .status = EXEC_SUCCESS,
         .execution_time = 0.25,
         .thread = 1,
         .message = "OK",
         .adapter_message = "OK",
         .rows_affected = 12,
         .failures = -1,
         .compiled_code = "select 1",
         .relation_name = "\"dev\".\"main\".\"orders\""},
        {.node = &t, .status = EXEC_SKIPPED, .thread = -1, .failures = -1, .rows_affected = -1},
    };
    rs[0].execute.started_at = (struct timespec){1764445200, 123456789};
    rs[0].execute.completed_at = (struct timespec){1764445201, 0};
    strbuf sb = STRBUF_INIT;
    run_results_json(&p, rs, 2, 1.5, "build", 4, &sb);
    json_error_t jerr;
    json_t *root = json_loads(strbuf_str(&sb), 0, &jerr);
    CHECK(root != NULL);
    if (root) {
        json_t *meta = json_object_get(root, "metadata");
        CHECK_STR(json_string_value(json_object_get(meta, "dbt_schema_version")),
                  "https://schemas.getdbt.com/dbt/run-results/v6.json");
        CHECK_STR(json_string_value(json_object_get(meta, "invocation_id")), "inv-1");
        json_t *r0 = json_array_get(json_object_get(root, "results"), 0);
        CHECK_STR(json_string_value(json_object_get(r0, "status")), "success");
        CHECK_STR(json_string_value(json_object_get(r0, "unique_id")), "model.shop.orders");
        CHECK_STR(json_string_value(json_object_get(r0, "thread_id")), "Thread-2 (worker)");
        CHECK(json_real_value(json_object_get(r0, "execution_time")) == 0.25);
        json_t *resp = json_object_get(r0, "adapter_response");
        CHECK_STR(json_string_value(json_object_get(resp, "_message")), "OK");
        CHECK(json_integer_value(json_object_get(resp, "rows_affected")) == 12);
        CHECK(json_is_null(json_object_get(r0, "failures")));
        CHECK_STR(json_string_value(json_object_get(r0, "compiled_code")), "select 1");
        CHECK_STR(json_string_value(json_object_get(r0, "relation_name")),
                  "\"dev\".\"main\".\"orders\"");
        json_t *timing = json_object_get(r0, "timing");
        CHECK(json_array_size(timing) == 1);
        CHECK_STR(json_string_value(json_object_get(json_array_get(timing, 0), "started_at")),
                  "2025-11-29T19:40:00.123456Z");
        json_t *r1 = json_array_get(json_object_get(root, "results"), 1);
        CHECK_STR(json_string_value(json_object_get(r1, "status")), "skipped");
        CHECK(json_array_size(json_object_get(r1, "timing")) == 0);
        CHECK(json_is_null(json_object_get(r1, "message")));
        CHECK(json_object_size(json_object_get(r1, "adapter_response")) == 0);
        CHECK(json_real_value(json_object_get(root, "elapsed_time")) == 1.5);
        CHECK_STR(json_string_value(json_object_get(json_object_get(root, "args"), "which")),
                  "build");
        json_decref(root);
    }
    strbuf_release(&sb);
}

int main(void)
{
    RUN(lines_match_dbt);
    RUN(summary_lines);
    RUN(run_results_json_fields);
    arena_free(&A);
    return CHECK_DONE();
}
