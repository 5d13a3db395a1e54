/* Data tests against real DuckDB: dbt's wrapper SQL, severity, warn_if and
 * error_if thresholds, limit, store_failures into the audit schema, SQL
 * errors as ERROR, and configs read from a node (also the model configs
 * the materializations read). */
#include "check.h"
#include "exec/datatest.h"
#include "exec/materialize.h"
#include "exec_db.h"

static arena A;

static test_outcome run_test(db_conn *c, const char *sql, const test_config *cfg)
{
    test_outcome out;
    mat_exec_opts o = mat_exec_defaults();
    mlerr err = MLERR_INIT;
    CHECK(test_execute(c, "t", sql, cfg, &o, &A, &out, &err));
    mlerr_clear(&err);
    return out;
}

TEST(wrapper_sql_is_dbts)
{
    test_config cfg = test_config_defaults();
    CHECK_STR(test_wrap_sql(&A, "select * from x where id is null", &cfg),
              "select\n      count(*) as failures,\n      count(*) !=0 as should_warn,\n      "
              "count(*) !=0 as should_error\n    from (\n      select * from x where id is null\n"
              "      \n    ) dbt_internal_test");
    cfg.has_limit = true;
    cfg.limit = 5;
    CHECK_CONTAINS(test_wrap_sql(&A, "select 1", &cfg), "select 1\n      limit 5\n    )");
    CHECK_STR(test_where_subquery(&A, "\"db\".\"main\".\"orders\"", "status = 'x'"),
              "(select * from \"db\".\"main\".\"orders\" where status = 'x') dbt_subquery");
    CHECK_STR(test_where_subquery(&A, "r", NULL), "r");
}

TEST(classification_and_thresholds)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    sql_ok(c, "create table orders as select range as id, case when range < 3 then null else "
              "'ok' end as status from range(20)");
    const char *nulls = "select * from orders where status is null";
    test_config cfg = test_config_defaults();
    test_outcome o = run_test(c, "select * from orders where id is null", &cfg);
    CHECK(o.status == TEST_PASS && o.failures == 0 && o.message == NULL);

    o = run_test(c, nulls, &cfg);
    CHECK(o.status == TEST_FAIL);
    CHECK(o.failures == 3);
    CHECK_STR(o.message, "Got 3 results, configured to fail if !=0");

    cfg.severity = TEST_SEVERITY_WARN;
    o = run_test(c, nulls, &cfg);
    CHECK(o.status == TEST_WARN);
    CHECK_STR(o.message, "Got 3 results, configured to warn if !=0");

    /* error_if >5 lets 3 failures through as a warning. */
    cfg = test_config_defaults();
    cfg.error_if = ">5";
    o = run_test(c, nulls, &cfg);
    CHECK(o.status == TEST_WARN);
    cfg.warn_if = ">10";
    o = run_test(c, nulls, &cfg);
    CHECK(o.status == TEST_PASS);
    CHECK(o.failures == 3);

    /* limit caps the rows counted. */
    cfg = test_config_defaults();
    cfg.has_limit = true;
    cfg.limit = 1;
    o = run_test(c, nulls, &cfg);
    CHECK(o.status == TEST_FAIL && o.failures == 1);
    CHECK_STR(o.message, "Got 1 result, configured to fail if !=0");

    /* A broken query is an ERROR with DuckDB's words. */
    test_config plain = test_config_defaults();
    o = run_test(c, "select * from no_such_table", &plain);
    CHECK(o.status == TEST_ERROR);
    CHECK_CONTAINS(o.message, "no_such_table");
    db_disconnect(c);
    db_close(d);
}

TEST(store_failures_writes_audit_table)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    sql_ok(c, "create table t as select range as id from range(10)");
    test_config cfg = test_config_defaults();
    cfg.store_failures = true;
    cfg.audit = (relation){.schema = "main_dbt_test__audit", .identifier = "odd_ids"};
    test_outcome o = run_test(c, "select id from t where id % 2 = 1", &cfg);
    CHECK(o.status == TEST_FAIL && o.failures == 5);
    CHECK_STR(o.stored_in, "\"main_dbt_test__audit\".\"odd_ids\"");
    CHECK_STR(rows_of(c, "select string_agg(id::varchar, ',' order by id) from "
                         "main_dbt_test__audit.odd_ids"),
              "1,3,5,7,9");
    /* A re-run replaces the stored rows. */
    o = run_test(c, "select id from t where id > 7", &cfg);
    CHECK(o.failures == 2);
    CHECK_STR(rows_of(c, "select count(*) from main_dbt_test__audit.odd_ids"), "2");
    db_disconnect(c);
    db_close(d);
}

static pnode node_with_config(jv config)
{
    pnode n = {0};
    n.name = "my_node";
    n.original_file_path = "models/schema.yml";
    n.line = 7;
    n.config = config;
    n.database = "dev";
    n.schema = "main_dbt_test__audit";
    n.alias = "my_node";
    n.materialized = "incremental";
    return n;
}

TEST(configs_from_nodes)
{
    jv cfg = jv_dict(&A);
    jv_dict_set_str(cfg, "severity", jv_string(&A, "WARN"));
    jv_dict_set_str(cfg, "warn_if", jv_string(&A, ">2"));
    jv_dict_set_str(cfg, "limit", jv_int(10));
    jv_dict_set_str(cfg, "store_failures", jv_bool(false));
    pnode n = node_with_config(cfg);
    test_config tc;
    mlerr err = MLERR_INIT;
    CHECK(test_config_from_node(&n, true, &tc, &err));
    CHECK(tc.severity == TEST_SEVERITY_WARN);
    CHECK_STR(tc.warn_if, ">2");
    CHECK_STR(tc.error_if, "!=0");
    CHECK(tc.has_limit && tc.limit == 10);
    CHECK(!tc.store_failures); /* config beats --store-failures */
    CHECK_STR(tc.audit.schema, "main_dbt_test__audit");

    jv bad = jv_dict(&A);
    jv_dict_set_str(bad, "severity", jv_string(&A, "fatal"));
    n = node_with_config(bad);
    CHECK(!test_config_from_node(&n, false, &tc, &err));
    CHECK_CONTAINS(mlerr_message(&err), "models/schema.yml:7:");
    CHECK_CONTAINS(mlerr_message(&err), "severity must be");
    mlerr_clear(&err);

    /* Model configs for the materializations. */
    jv mc = jv_dict(&A);
    jv_dict_set_str(mc, "incremental_strategy", jv_string(&A, "merge"));
    jv keys = jv_list(&A);
    jv_list_append(keys, jv_string(&A, "a"));
    jv_list_append(keys, jv_string(&A, "b"));
    jv_dict_set_str(mc, "unique_key", keys);
    jv_dict_set_str(mc, "on_schema_change", jv_string(&A, "sync_all_columns"));
    jv_dict_set_str(mc, "full_refresh", jv_bool(false));
    n = node_with_config(mc);
    mat_model m;
    CHECK(mat_model_from_node(&n, "select 1", &A, &m, &err));
    CHECK(m.kind == MAT_INCREMENTAL && m.strategy == MAT_MERGE);
    CHECK(m.n_unique_key == 2 && m.unique_key_is_list);
    CHECK_STR(m.unique_key[1], "b");
    CHECK(m.on_schema_change == MAT_OSC_SYNC_ALL_COLUMNS);
    CHECK(!mat_should_full_refresh(&m, true));
    CHECK_STR(m.target.database, "dev");

    jv_dict_set_str(mc, "incremental_strategy", jv_string(&A, "insert_overwrite"));
    CHECK(!mat_model_from_node(&n, "select 1", &A, &m, &err));
    CHECK_CONTAINS(mlerr_message(&err), "not supported yet: incremental_strategy");
    mlerr_clear(&err);
    jv_dict_set_str(mc, "incremental_strategy", jv_none());
    jv_dict_set_str(mc, "unique_key", jv_int(3));
    CHECK(!mat_model_from_node(&n, "select 1", &A, &m, &err));
    CHECK_CONTAINS(mlerr_message(&err), "unique_key");
    mlerr_clear(&err);
}

int main(void)
{
    RUN(wrapper_sql_is_dbts);
    RUN(classification_and_thresholds);
    RUN(store_failures_writes_audit_table);
    RUN(configs_from_nodes);
    arena_free(&A);
    return CHECK_DONE();
}
