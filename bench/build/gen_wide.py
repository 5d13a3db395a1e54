#!/usr/bin/python3
"""gen_wide: writes a wide project for bench/build -- N independent table
models, each one aggregate over ROWS generated rows, so every model costs
about the same DuckDB work and none waits for another.

Usage: gen_wide.py DIR N ROWS [DUCKDB_THREADS]

DUCKDB_THREADS, when given, goes into the profile's `settings` (DuckDB's
own thread pool); by default DuckDB picks its own, and then it spreads a
model's range() scan and aggregate over its worker threads too (about 1.2
cores per model on 2 cores), which the bench reports as a second figure.
"""
import os
import sys


def model_sql(k, rows):
    return (f"select count(*) as n, sum(hash(i + {k}) % 1000) as h\n"
            f"from range({rows}) t(i)\n")


def main():
    out, n, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    duckdb_threads = sys.argv[4] if len(sys.argv) > 4 else None
    os.makedirs(os.path.join(out, "models"), exist_ok=True)
    with open(os.path.join(out, "dbt_project.yml"), "w") as f:
        f.write("name: wide\nprofile: wide\nconfig-version: 2\n"
                "models:\n  wide:\n    +materialized: table\n")
    with open(os.path.join(out, "profiles.yml"), "w") as f:
        f.write("wide:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
                "      path: wide.duckdb\n      threads: 1\n")
        if duckdb_threads:
            f.write(f"      settings:\n        threads: {duckdb_threads}\n")
    for k in range(n):
        with open(os.path.join(out, "models", f"w{k:04d}.sql"), "w") as f:
            f.write(model_sql(k, rows))


if __name__ == "__main__":
    main()
