#!/usr/bin/python3
"""gen_project.py DIR N: a deployment for bench/sched.

DIR/dbt/bench is a dbt project of N small table models in
models/layers/, in layers of about sqrt(N) models (every model past the
first layer reads two models of the layer before, so the DAG has N tasks
and about 2N edges), and a chain of CHAIN (200) models in models/chain/,
each reading the one before.  DIR/dags/bench.yml is a manual-only DAG over
the layers (one task per model, no test tasks), DIR/dags/chain.yml one
over the chain, DIR/.env points DUCKDB_DATABASE_PATH at DIR/bench.duckdb,
and DIR/edges.txt lists "task upstream_task" per edge of the chain for
the hand-over latency report.
"""
import math
import os
import sys

root, n = sys.argv[1], int(sys.argv[2])
proj = os.path.join(root, "dbt", "bench")
CHAIN = 200
os.makedirs(os.path.join(proj, "models", "layers"), exist_ok=True)
os.makedirs(os.path.join(proj, "models", "chain"), exist_ok=True)
os.makedirs(os.path.join(root, "dags"), exist_ok=True)
width = max(1, int(math.sqrt(n)))
names = [f"m{i:05d}" for i in range(n)]
edges = [(f"c{i:04d}", f"c{i - 1:04d}") for i in range(1, 200)]
for i, name in enumerate(names):
    layer, pos = divmod(i, width)
    if layer == 0:
        sql = f"select {i} as id, 1 as n\n"
    else:
        base = (layer - 1) * width
        a = names[base + pos]
        b = names[base + (pos + 1) % width]
        sql = (f"select {i} as id, (select sum(n) from {{{{ ref('{a}') }}}})"
               f" + (select sum(n) from {{{{ ref('{b}') }}}}) as n\n")
    with open(os.path.join(proj, "models", "layers", name + ".sql"), "w") as f:
        f.write(sql)
for i in range(CHAIN):
    sql = (f"select {i} as id\n" if i == 0 else
           f"select id + 1 as id from {{{{ ref('c{i - 1:04d}') }}}}\n")
    with open(os.path.join(proj, "models", "chain", f"c{i:04d}.sql"), "w") as f:
        f.write(sql)
with open(os.path.join(proj, "dbt_project.yml"), "w") as f:
    f.write("name: bench\nprofile: bench\nmodels:\n  bench:\n    +materialized: table\n")
with open(os.path.join(proj, "profiles.yml"), "w") as f:
    f.write("bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
            "      path: \"{{ env_var('DUCKDB_DATABASE_PATH') }}\"\n      threads: 8\n")
with open(os.path.join(root, ".env"), "w") as f:
    f.write(f"DUCKDB_DATABASE_PATH={os.path.join(root, 'bench.duckdb')}\n")
with open(os.path.join(root, "dags", "bench.yml"), "w") as f:
    f.write("dag_id: bench\nschedule: null\nmax_active_tasks: 8\n"
            "dbt: {project_dir: ../dbt/bench, select: [layers], test_behavior: none}\n")
with open(os.path.join(root, "dags", "chain.yml"), "w") as f:
    f.write("dag_id: chain\nschedule: null\n"
            "dbt: {project_dir: ../dbt/bench, select: [chain], test_behavior: none}\n")
with open(os.path.join(root, "edges.txt"), "w") as f:
    for task, up in edges:
        f.write(f"{task}_run {up}_run\n")
