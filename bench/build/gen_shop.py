#!/usr/bin/python3
"""gen_shop: writes a small shop project the size of dbt's classic example
(3 seeds, 5 models, 20 data tests) for bench/build.  Our own schema and
generated data: a bakery with clients, purchases and card/cash charges.

Usage: gen_shop.py DIR [ROWS]

ROWS (default 100) scales the seeds: ROWS clients, about ROWS purchases and
1.1 x ROWS charges.  Output is deterministic.
"""
import os
import random
import sys

STATUSES = ["baked", "boxed", "collected", "refund_asked", "refunded"]
METHODS = ["card", "cash", "voucher", "transfer"]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    rnd = random.Random(rows)
    write(os.path.join(out, "dbt_project.yml"),
          "name: bakery\nprofile: bakery\nconfig-version: 2\nversion: '1.0'\n"
          "models:\n  bakery:\n    +materialized: table\n"
          "    staging:\n      +materialized: view\n")
    write(os.path.join(out, "profiles.yml"),
          "bakery:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
          "      path: bakery.duckdb\n      threads: 1\n")
    clients = ["client_id,given,family"]
    for i in range(1, rows + 1):
        clients.append(f"{i},{rnd.choice('ABCDEFGHJKLMNPRSTW')}.,"
                       f"{rnd.choice(['Baker', 'Miller', 'Cole', 'Dunn', 'Marsh', 'Reed'])}")
    purchases = ["purchase_id,client_id,purchased_on,state"]
    n_purchases = max(1, rows - 1)
    for i in range(1, n_purchases + 1):
        purchases.append(f"{i},{rnd.randint(1, rows)},2025-{rnd.randint(1, 4):02d}-"
                         f"{rnd.randint(1, 28):02d},{rnd.choice(STATUSES)}")
    charges = ["charge_id,purchase_id,method,amount_cents"]
    for i in range(1, int(rows * 1.1) + 1):
        charges.append(f"{i},{rnd.randint(1, n_purchases)},{rnd.choice(METHODS)},"
                       f"{rnd.randint(0, 30) * 100}")
    for name, lines in (("raw_clients", clients), ("raw_purchases", purchases),
                        ("raw_charges", charges)):
        write(os.path.join(out, "seeds", name + ".csv"), "\n".join(lines) + "\n")

    m = os.path.join(out, "models")
    write(os.path.join(m, "staging", "stg_clients.sql"),
          "select client_id, given as first_name, family as last_name\n"
          "from {{ ref('raw_clients') }}\n")
    write(os.path.join(m, "staging", "stg_purchases.sql"),
          "select purchase_id, client_id, purchased_on, state as status\n"
          "from {{ ref('raw_purchases') }}\n")
    write(os.path.join(m, "staging", "stg_charges.sql"),
          "select charge_id, purchase_id, method, amount_cents / 100 as amount\n"
          "from {{ ref('raw_charges') }}\n")
    write(os.path.join(m, "purchase_totals.sql"),
          "{% set methods = " + repr(METHODS) + " %}\n"
          "with charges as (select * from {{ ref('stg_charges') }}),\n"
          "per_purchase as (\n"
          "    select purchase_id,\n"
          "    {% for m in methods -%}\n"
          "    sum(case when method = '{{ m }}' then amount else 0 end) as {{ m }}_amount,\n"
          "    {% endfor -%}\n"
          "    sum(amount) as total_amount\n"
          "    from charges group by purchase_id\n"
          ")\n"
          "select p.purchase_id, p.client_id, p.purchased_on, p.status,\n"
          "    {% for m in methods -%}\n"
          "    coalesce(pp.{{ m }}_amount, 0) as {{ m }}_amount,\n"
          "    {% endfor -%}\n"
          "    coalesce(pp.total_amount, 0) as amount\n"
          "from {{ ref('stg_purchases') }} p\n"
          "left join per_purchase pp using (purchase_id)\n")
    write(os.path.join(m, "client_summary.sql"),
          "with purchases as (select * from {{ ref('stg_purchases') }}),\n"
          "totals as (select * from {{ ref('purchase_totals') }}),\n"
          "per_client as (\n"
          "    select client_id, min(purchased_on) as first_purchase,\n"
          "        max(purchased_on) as latest_purchase, count(*) as purchase_count\n"
          "    from purchases group by client_id\n"
          "),\n"
          "spend as (select client_id, sum(amount) as lifetime_value from totals group by client_id)\n"
          "select c.client_id, c.first_name, c.last_name, pc.first_purchase,\n"
          "    pc.latest_purchase, coalesce(pc.purchase_count, 0) as purchase_count,\n"
          "    coalesce(s.lifetime_value, 0) as lifetime_value\n"
          "from {{ ref('stg_clients') }} c\n"
          "left join per_client pc using (client_id)\n"
          "left join spend s using (client_id)\n")
    statuses = ", ".join(f"'{s}'" for s in STATUSES)
    methods = ", ".join(f"'{s}'" for s in METHODS)
    write(os.path.join(m, "schema.yml"), f"""version: 2
models:
  - name: stg_clients
    columns:
      - name: client_id
        tests: [unique, not_null]
  - name: stg_purchases
    columns:
      - name: purchase_id
        tests: [unique, not_null]
      - name: status
        tests:
          - accepted_values:
              values: [{statuses}]
  - name: stg_charges
    columns:
      - name: charge_id
        tests: [unique, not_null]
      - name: method
        tests:
          - accepted_values:
              values: [{methods}]
      - name: amount
        tests: [not_null]
  - name: client_summary
    columns:
      - name: client_id
        tests: [unique, not_null]
      - name: purchase_count
        tests: [not_null]
  - name: purchase_totals
    columns:
      - name: purchase_id
        tests: [unique, not_null]
      - name: client_id
        tests:
          - not_null
          - relationships:
              to: ref('client_summary')
              field: client_id
      - name: status
        tests:
          - accepted_values:
              values: [{statuses}]
      - name: amount
        tests: [not_null]
      - name: card_amount
        tests: [not_null]
      - name: cash_amount
        tests: [not_null]
""")


if __name__ == "__main__":
    main()
