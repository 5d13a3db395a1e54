#!/usr/bin/python3
"""report.py DIR: reads DIR/.mallard/mallard.db (the scheduler's store) and
prints one line:
  tasks of the bench run that succeeded;
  hand-over latency over the chain run: for every chain task, its try's
  start_date minus its upstream try's end_date (the runner returned), in
  ms: median, p90, max;
  the bench run's span (end_date - start_date) and the sum of its try
  durations, in s."""
import sqlite3
import statistics
import sys

root = sys.argv[1]
db = sqlite3.connect(f"file:{root}/.mallard/mallard.db?mode=ro", uri=True)


def tries(dag):
    return {t: (s, e) for t, s, e in db.execute(
        "select task_id, start_date, end_date from task_tries where dag_id = ?"
        " and state = 'success'", (dag,))}


bench, chain = tries("bench"), tries("chain")
lat = []
for line in open(f"{root}/edges.txt"):
    task, up = line.split()
    if task in chain and up in chain:
        lat.append((chain[task][0] - chain[up][1]) * 1000)
lat.sort()
run_start, run_end = db.execute(
    "select start_date, end_date from dag_runs where dag_id = 'bench'").fetchone()
busy = sum(e - s for s, e in bench.values())
p90 = lat[int(len(lat) * 0.9)] if lat else 0
print(f"{len(bench)} {statistics.median(lat) if lat else 0:.2f} {p90:.2f} "
      f"{lat[-1] if lat else 0:.2f} {run_end - run_start:.2f} {busy:.2f}")
