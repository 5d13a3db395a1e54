/* dbt_tasks: a DAG's tasks, rendered from its dbt project the way
 * astronomer-cosmos renders a DbtDag.
 *
 * The DAG's dbt.select / dbt.exclude pick the nodes (dbt's selection, eager
 * indirect test selection).  Every selected seed, snapshot and non-ephemeral
 * model becomes one task ("<seed>_seed", "<snapshot>_snapshot",
 * "<model>_run"); tests follow test_behavior:
 *   none        no test tasks;
 *   after_each  "<node>_test" right after each node that has tests (the
 *               tests that depend on it, as `dbt test --select node` picks
 *               them); the node's dependants wait for its tests, as they wait
 *               for Cosmos' task group;
 *   after_all   one "test" task with every selected test, after the leaves;
 *   build       one "<node>_build" per node, running the node and its tests.
 * Edges come from the dbt graph; a path through nodes that are not tasks
 * (sources, ephemeral or unselected models) still orders its two ends, as
 * dbt's subset graph does. */
#ifndef MALLARD_SCHED_DBT_TASKS_H
#define MALLARD_SCHED_DBT_TASKS_H

#include "project/graph.h"
#include "sched/dagfile.h"
#include "util/arena.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    DBT_TASK_RUN,
    DBT_TASK_SEED,
    DBT_TASK_SNAPSHOT,
    DBT_TASK_TEST,
    DBT_TASK_BUILD,
} dbt_task_kind;

/* "run", "seed", "snapshot", "test", "build": the dbt command it runs. */
const char *dbt_task_kind_name(dbt_task_kind k);

typedef struct dbt_task {
    const char *task_id;
    dbt_task_kind kind;
    const char **nodes; /* unique_ids of the dbt nodes it runs */
    size_t nnodes;
    size_t *upstream; /* indices of the tasks it waits for */
    size_t nupstream;
} dbt_task;

typedef struct dbt_task_graph {
    dbt_task *tasks;
    size_t n;
} dbt_task_graph;

/* Builds the tasks of a DAG over its loaded project; everything lands in a.
 * A selection error fails with err (the DAG's file and the bad spec). */
bool dbt_tasks_build(arena *a, const project *p, const dag_dbt *dbt, dbt_task_graph *out,
                     mlerr *err);

/* The task with this id, or -1. */
long dbt_tasks_find(const dbt_task_graph *g, const char *task_id);

#endif
