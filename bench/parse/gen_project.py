#!/usr/bin/python3
"""gen_project: writes a synthetic dbt project for benchmarking `mallard parse`.

Usage: gen_project.py DIR N_MODELS

The project looks like a real one scaled up: seeds feed a staging layer, and
each later layer refs a few models of the layer before it, through a Jinja
loop, a macro call and an `if`.  Every tenth folder has a properties file
describing its models with unique / not_null / accepted_values /
relationships tests.  Output is deterministic for a given N.
"""
import os
import random
import sys


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(n)
    layers = 5
    per_layer = max(1, n // layers)
    folder_size = 50
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "dbt_project.yml"), "w") as f:
        f.write(
            "name: bench\nprofile: bench\nconfig-version: 2\n"
            "vars:\n  start_date: '2024-01-01'\n  scale: 100\n"
            "models:\n  bench:\n    +materialized: view\n"
            "    layer_4:\n      +materialized: table\n      +tags: ['mart']\n"
            "seeds:\n  bench:\n    +quote_columns: false\n"
        )
    with open(os.path.join(out, "profiles.yml"), "w") as f:
        f.write("bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
                "      path: bench.duckdb\n      threads: 2\n")
    os.makedirs(os.path.join(out, "macros"), exist_ok=True)
    with open(os.path.join(out, "macros", "helpers.sql"), "w") as f:
        f.write(
            "{% macro cents(col, scale=var('scale')) -%}\n"
            "    ({{ col }} / {{ scale }})::decimal(18, 2)\n"
            "{%- endmacro %}\n\n"
            "{% macro pick(cols) -%}\n"
            "    {%- for c in cols %}{{ c }}{{ ', ' if not loop.last }}{% endfor -%}\n"
            "{%- endmacro %}\n"
        )
    os.makedirs(os.path.join(out, "seeds"), exist_ok=True)
    n_seeds = max(1, per_layer // 10)
    for s in range(n_seeds):
        with open(os.path.join(out, "seeds", f"seed_{s}.csv"), "w") as f:
            f.write("id,amount,status\n")
            for r in range(5):
                f.write(f"{r},{r * 100},{'paid' if r % 2 else 'open'}\n")
    names = []
    for layer in range(layers):
        count = per_layer if layer < layers - 1 else n - per_layer * (layers - 1)
        this_layer = []
        for i in range(count):
            name = f"l{layer}_m{i}"
            folder = f"layer_{layer}/f{i // folder_size}"
            d = os.path.join(out, "models", folder)
            os.makedirs(d, exist_ok=True)
            if layer == 0:
                body = (
                    "select id, {{ cents('amount') }} as amount, status\n"
                    f"from {{{{ ref('seed_{i % n_seeds}') }}}}\n"
                    "where id >= 0\n"
                )
            else:
                prev = names[layer - 1]
                ups = sorted({prev[rnd.randrange(len(prev))] for _ in range(3)})
                body = (
                    "{%- set upstream = " + repr(ups) + " -%}\n"
                    "with\n"
                    "{%- for u in upstream %}\n"
                    "{{ u }} as (select {{ pick(['id', 'amount', 'status']) }} from {{ ref(u) }}){{ ',' if not loop.last }}\n"
                    "{%- endfor %}\n"
                    "select id, sum(amount) as amount, max(status) as status\n"
                    "from (\n"
                    "{%- for u in upstream %}\n"
                    "    select * from {{ u }}{{ ' union all' if not loop.last }}\n"
                    "{%- endfor %}\n"
                    ") t\n"
                    "{% if var('start_date') > '2000-01-01' %}where id is not null{% endif %}\n"
                    "group by id\n"
                )
            with open(os.path.join(d, name + ".sql"), "w") as f:
                f.write(body)
            this_layer.append(name)
        names.append(this_layer)
        # properties files: one per folder, every other folder
        for start in range(0, count, folder_size):
            if (start // folder_size) % 2:
                continue
            folder = f"layer_{layer}/f{start // folder_size}"
            with open(os.path.join(out, "models", folder, "schema.yml"), "w") as f:
                f.write("version: 2\nmodels:\n")
                for name in this_layer[start:start + folder_size]:
                    f.write(f"  - name: {name}\n    description: Model {name}.\n    columns:\n")
                    f.write("      - name: id\n        data_tests:\n          - unique\n          - not_null\n")
                    f.write("      - name: status\n        data_tests:\n"
                            "          - accepted_values:\n              values: ['paid', 'open']\n")
                    if layer > 0:
                        f.write("      - name: amount\n        data_tests:\n"
                                f"          - relationships:\n              to: ref('{names[layer - 1][0]}')\n"
                                "              field: amount\n")


if __name__ == "__main__":
    main()
