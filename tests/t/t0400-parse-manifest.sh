#!/bin/bash
# t0400: `mallard parse` on the p1_shop fixture writes a dbt v12 manifest:
# top-level keys, node ids (generic tests named and hashed by dbt's rules,
# recomputed here independently in Python), config precedence (project <
# properties YAML < config()), tags, docs, sources and the parent/child maps.
. "$(dirname "$0")/lib.sh"

P=$SCRATCH/shop
cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/p1_shop" "$P"
cd "$P"
run_mallard parse
check "parse succeeds" rc_is 0
check "parse reports what it found" out_has "Found 5 models, 1 analysis, 2 seeds, 7 data tests, 1 source"
check "manifest written" test -s target/manifest.json

py() { /usr/bin/python3 - "$@"; }

check "manifest matches dbt's shape and rules" py <<'PY'
import hashlib, json, re, sys
m = json.load(open("target/manifest.json"))
ok = True
def expect(what, got, want):
    global ok
    if got != want:
        ok = False
        print(f"  {what}:\n    got  {got!r}\n    want {want!r}")

expect("top-level keys", sorted(m), sorted([
    "metadata", "nodes", "sources", "macros", "docs", "exposures", "metrics", "groups",
    "selectors", "disabled", "parent_map", "child_map", "group_map", "saved_queries",
    "semantic_models", "unit_tests"]))
expect("schema version", m["metadata"]["dbt_schema_version"],
       "https://schemas.getdbt.com/dbt/manifest/v12.json")

# dbt's generic test naming (generic_test_builders.synthesize_generic_test_names)
# and id hash (schema_generic_tests.create_test_node), restated.
def names(test_type, target, args):
    flat = []
    for k in sorted(args):
        if k == "model":
            continue
        v = args[k]
        parts = list(v.values()) if isinstance(v, dict) else list(v) if isinstance(v, list) else [v]
        flat.extend(str(p) for p in parts)
    unique = "__".join(re.sub("[^0-9a-zA-Z_]+", "_", a) for a in flat)
    ident = f"{test_type}_{target}"
    full = f"{ident}_{unique}"
    short = f"{ident[:30]}_{hashlib.md5(full.encode()).hexdigest()}" if len(full) >= 64 else full
    return short, full
def hashable(d):
    if type(d) == dict:
        return {k: hashable(d[k]) for k in sorted(d)}
    if type(d) == list:
        return [hashable(v) for v in d]
    return str(d)
def test_id(name, meta):
    h = hashlib.md5((name + repr(hashable(meta))).encode()).hexdigest()[-10:]
    return f"test.mallard_shop.{name}.{h}"

cases = [
    ("unique", None, "spend_by_person", {"column_name": "person_id"}, "model"),
    ("not_null", None, "spend_by_person", {"column_name": "person_id"}, "model"),
    ("relationships", None, "spend_by_person",
     {"to": "ref('stg_people')", "field": "person_id", "column_name": "person_id"}, "model"),
    ("positive", None, "spend_by_person", {"allow_zero": True, "column_name": "paid_amount"}, "model"),
    ("accepted_values", None, "spend_by_person",
     {"values": ["Ada", "Brian", "Chloe", "a name long enough to push this test past the limit"],
      "column_name": "name"}, "model"),
    ("unique", None, "shop_raw_visits", {"column_name": "visit_id"}, "source"),
]
tests = {k: v for k, v in m["nodes"].items() if v["resource_type"] == "test"}
for name, ns, target, args, kind in cases:
    ttype = ("source_" if kind == "source" else "") + name
    short, full = names(ttype, target, args)
    node = next((v for v in tests.values() if v["name"] == full), None)
    if node is None:
        ok = False
        print(f"  no test named {full}")
        continue
    meta = dict(node["test_metadata"])
    expect(f"{full} id", node["unique_id"], test_id(full, meta))
    expect(f"{full} path", node["path"], short + ".sql")
    expect(f"{full} alias", node["alias"], short)
    kw = dict(meta["kwargs"]); kw.pop("model")
    expect(f"{full} kwargs", kw, args)

long = next(v for v in tests.values() if v["name"].startswith("accepted_values"))
expect("long test alias is in config", long["config"]["alias"], long["alias"])
expect("long test tags (column tags)", long["tags"], ["pii"])
expect("test schema", long["schema"], "main_dbt_test__audit")
expect("project test severity", long["config"]["severity"], "WARN")
pos = next(v for v in tests.values() if v["name"].startswith("positive"))
expect("yml test config beats project", pos["config"]["severity"], "ERROR")
expect("custom test macro", pos["depends_on"]["macros"][0], "macro.mallard_shop.test_positive")
rel = next(v for v in tests.values() if v["name"].startswith("relationships"))
expect("relationships parents", rel["depends_on"]["nodes"],
       ["model.mallard_shop.stg_people", "model.mallard_shop.spend_by_person"])
expect("attached node", rel["attached_node"], "model.mallard_shop.spend_by_person")

s = m["nodes"]["model.mallard_shop.spend_by_person"]
expect("config() alias", s["alias"], "person_spend")
expect("yml materialized", s["config"]["materialized"], "table")
expect("tags: project, folder, config()", s["tags"], ["marts", "hot", "daily"])
expect("meta merges project and yml", s["config"]["meta"], {"owner": "finance", "tier": 1})
expect("relation", s["relation_name"], '"shop"."main"."person_spend"')
expect("doc() description", s["description"], "How much each person spent, by purchase status.")
expect("refs inside a loop and a false if", [r["name"] for r in s["refs"]],
       ["stg_people", "paid_purchases"])
expect("macro deps", s["depends_on"]["macros"], ["macro.mallard_shop.status_list"])
expect("fqn", s["fqn"], ["mallard_shop", "marts", "spend_by_person"])
expect("patch path", s["patch_path"], "mallard_shop://models/marts/schema.yml")
expect("columns", list(s["columns"]), ["person_id", "paid_amount", "name"])

st = m["nodes"]["model.mallard_shop.stg_people"]
expect("custom schema", st["schema"], "main_stg")
expect("folder tags", st["tags"], ["staging"])
eph = m["nodes"]["model.mallard_shop.stg_purchases"]
expect("ephemeral has no relation", eph["relation_name"], None)
seed = m["nodes"]["seed.mallard_shop.raw_people"]
expect("seed column_types from yml", seed["config"]["column_types"], {"id": "integer"})
expect("seed quote_columns from project", seed["config"]["quote_columns"], False)

src = m["sources"]["source.mallard_shop.shop_raw.visits"]
expect("source identifier", src["identifier"], "visit_log")
expect("source relation", src["relation_name"], '"shop"."landing"."visit_log"')
expect("source fqn", src["fqn"], ["mallard_shop", "staging", "shop_raw", "visits"])
expect("source loaded_at_field", src["loaded_at_field"], "visited_at")

expect("child map", m["child_map"]["model.mallard_shop.stg_purchases"],
       ["model.mallard_shop.paid_purchases"])
expect("parent map", m["parent_map"]["model.mallard_shop.spend_by_person"],
       ["model.mallard_shop.paid_purchases", "model.mallard_shop.stg_people"])
expect("docs", list(m["docs"]), ["doc.mallard_shop.spend_by_person"])
expect("project macro", m["macros"]["macro.mallard_shop.to_units"]["original_file_path"],
       "macros/money.sql")
expect("built-in test macro", "macro.dbt.test_unique" in m["macros"], True)
sys.exit(0 if ok else 1)
PY

finish
