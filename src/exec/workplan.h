/* workplan: which nodes a command executes and in what dependency order --
 * the runner_graph the commands hand to the runner.
 *
 * Work items are the selected nodes a command executes (run: models;
 * seed: seeds; test: tests; build: models, seeds, snapshots and tests),
 * ephemeral models excepted: they never run, they are inlined.  Their
 * edges follow dbt's get_subset_graph: a path between two items through
 * nodes that are not items (sources, ephemeral or unselected models) is
 * kept as a direct edge, so `run -s a c` still runs a before c when a -> b
 * -> c.
 *
 * build adds dbt's test edges first (Linker.add_test_edges): a test runs
 * before every non-test node downstream of all of the nodes it depends on,
 * so a node's tests run right after it and an error-severity failure skips
 * its descendants.  Only the nearest such nodes get the edge; everything
 * further down waits on them anyway. */
#ifndef MALLARD_EXEC_WORKPLAN_H
#define MALLARD_EXEC_WORKPLAN_H

#include "exec/runner.h"
#include "project/graph.h"
#include "project/select.h"
#include "util/arena.h"

typedef enum work_mode {
    WORK_RUN,
    WORK_SEED,
    WORK_TEST,
    WORK_BUILD,
} work_mode;

typedef struct work_plan {
    uint32_t n;              /* work items */
    const uint32_t *node_of; /* item -> index in project->nodes */
    const int32_t *item_of;  /* node index -> item, or -1 */
    runner_graph graph;      /* over items; arrays in the arena */
    uint32_t n_test_edges;   /* build: test edges added (for diagnostics) */
} work_plan;

/* Is this node executed by the mode (regardless of selection)? */
bool work_mode_runs(work_mode mode, const pnode *n);

/* Builds the plan for the selected nodes (NULL: every node).  Items are in
 * node index order (unique_id order). */
void work_plan_build(const project *p, const nodeset *selected, work_mode mode, arena *a,
                     work_plan *out);

#endif
