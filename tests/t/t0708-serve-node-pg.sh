#!/usr/bin/env bash
# t0708: node-postgres (npm `pg`, installed by scripts/install-deps into
# third_party/node) against `mallard serve` over TCP with SCRAM-SHA-256:
# parameterised queries, the JavaScript values of each common type, NULL,
# transactions, an error's SQLSTATE, and a pool of four clients at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
NODE_MODULES=$MALLARD_SOURCE_DIR/third_party/node/node_modules
command -v node >/dev/null || { echo "node is not installed (scripts/install-deps)"; exit 77; }
[ -f "$NODE_MODULES/pg/package.json" ] || { echo "npm pg is missing: run scripts/install-deps"; exit 77; }

auth=$SCRATCH/users.conf
printf 'n0de secret\n' | "$MALLARD" serve passwd --auth-file "$auth" nodeuser >/dev/null 2>&1
check "the server starts with SCRAM users" start_server --database "$SCRATCH/node.duckdb" --auth-file "$auth"

cat >"$SCRATCH/client.js" <<'JS'
const { Client, Pool } = require('pg');
const port = Number(process.argv[2]);
const conf = { host: '127.0.0.1', port, user: 'nodeuser', password: 'n0de secret', database: 'db' };
let failed = 0;
function check(cond, what) {
  console.log((cond ? 'ok - ' : 'FAIL - ') + what);
  if (!cond) failed++;
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function main() {
  const c = new Client(conf);
  await c.connect();
  check(true, 'connects with SCRAM-SHA-256');

  await c.query('CREATE TABLE items (id INTEGER PRIMARY KEY, label VARCHAR, price DECIMAL(10,2), ' +
                'ok BOOLEAN, day DATE, ts TIMESTAMP, tstz TIMESTAMPTZ, doc JSON, tags INTEGER[], names VARCHAR[])');
  const ins = await c.query('INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
    [1, "it's", '12.34', true, '2024-02-29', '2024-01-02 03:04:05.25', '2024-01-02T03:04:05Z',
     JSON.stringify({ a: [1, 2], b: 'x' }), [3, 1, 2], ['p q', 'r']]);
  check(ins.rowCount === 1 && ins.command === 'INSERT', 'a parameterised INSERT reports one row');
  await c.query('INSERT INTO items (id) VALUES ($1)', [2]);

  const r = await c.query('SELECT * FROM items WHERE id = $1', [1]);
  const row = r.rows[0];
  check(row.id === 1 && row.label === "it's", 'int and text parameters round-trip');
  check(row.price === '12.34', 'numeric comes back as its exact string (' + row.price + ')');
  check(row.ok === true, 'bool -> true');
  check(row.day instanceof Date && row.day.getFullYear() === 2024 && row.day.getMonth() === 1 &&
        row.day.getDate() === 29, 'date -> Date (' + row.day + ')');
  check(row.ts instanceof Date && row.ts.getTime() === Date.UTC(2024, 0, 2, 3, 4, 5, 250),
        'timestamp -> Date (' + (row.ts && row.ts.toISOString()) + ')');
  check(row.tstz instanceof Date && row.tstz.getTime() === Date.UTC(2024, 0, 2, 3, 4, 5),
        'timestamptz -> Date at the right instant (' + (row.tstz && row.tstz.toISOString()) + ')');
  check(same(row.doc, { a: [1, 2], b: 'x' }), 'json is parsed into an object');
  check(same(row.tags, [3, 1, 2]), 'INTEGER[] -> array of numbers (' + JSON.stringify(row.tags) + ')');
  check(same(row.names, ['p q', 'r']), 'VARCHAR[] -> array of strings (' + JSON.stringify(row.names) + ')');
  const oids = Object.fromEntries(r.fields.map(f => [f.name, f.dataTypeID]));
  check(oids.id === 23 && oids.price === 1700 && oids.ok === 16 && oids.day === 1082 &&
        oids.ts === 1114 && oids.tstz === 1184 && oids.doc === 114 && oids.tags === 1007,
        'field type OIDs: ' + JSON.stringify(oids));

  const n = await c.query('SELECT label, price, day, doc, tags FROM items WHERE id = 2');
  check(Object.values(n.rows[0]).every(v => v === null), 'NULLs of every type come back as null');
  const big = await c.query('SELECT $1::BIGINT * 2 AS b, $2::DOUBLE AS d, $3::VARCHAR IS NULL AS isnull',
                            ['4611686018427387903', 2.5, null]);
  check(big.rows[0].b === '9223372036854775806' && big.rows[0].d === 2.5 && big.rows[0].isnull === true,
        'bigint as a string, float8 as a number, a null parameter');

  // Transactions.
  await c.query('BEGIN');
  await c.query('INSERT INTO items (id) VALUES (10)');
  await c.query('ROLLBACK');
  let cnt = await c.query('SELECT count(*)::INTEGER AS n FROM items WHERE id = 10');
  check(cnt.rows[0].n === 0, 'ROLLBACK discards an insert');
  await c.query('BEGIN');
  await c.query('INSERT INTO items (id) VALUES (11)');
  await c.query('COMMIT');
  cnt = await c.query('SELECT count(*)::INTEGER AS n FROM items WHERE id = 11');
  check(cnt.rows[0].n === 1, 'COMMIT keeps an insert');

  // Errors carry their SQLSTATE; the client stays usable.
  let code = null;
  try { await c.query('INSERT INTO items (id) VALUES ($1)', [1]); } catch (e) { code = e.code; }
  check(code === '23505', 'a duplicate key fails with 23505 (' + code + ')');
  code = null;
  try { await c.query('SELECT * FROM missing_table'); } catch (e) { code = e.code; }
  check(code === '42P01', 'an unknown table fails with 42P01 (' + code + ')');
  code = null;
  try { await c.query('SELECT id FROM items WHERE id = $1', ['not a number']); } catch (e) { code = e.code; }
  check(code && code.startsWith('22'), 'a parameter that is not an integer fails with a 22xxx code (' + code + ')');
  const spaced = await c.query('SELECT id FROM items WHERE id = $1', [' 1']);
  check(spaced.rows.length === 1, 'an integer parameter with a leading space reads as PostgreSQL reads it');
  await c.query('BEGIN');
  code = null;
  try { await c.query('SELECT nope FROM items'); } catch (e) { code = e.code; }
  check(code === '42703', 'an unknown column fails with 42703 (' + code + ')');
  code = null;
  try { await c.query('SELECT 1'); } catch (e) { code = e.code; }
  check(code === '25P02', 'the failed transaction refuses statements (' + code + ')');
  await c.query('ROLLBACK');
  const one = await c.query({ text: 'SELECT 1 AS x', rowMode: 'array' });
  check(same(one.rows, [[1]]), 'the client works after the errors');
  await c.end();

  // A pool of four clients, each in its own transaction at the same time.
  const pool = new Pool({ ...conf, max: 4 });
  await pool.query('CREATE TABLE hits (worker INTEGER, n INTEGER)');
  const clients = await Promise.all([0, 1, 2, 3].map(() => pool.connect()));
  await Promise.all(clients.map(async (pc, w) => {
    await pc.query('BEGIN');
    for (let i = 0; i < 25; i++) await pc.query('INSERT INTO hits VALUES ($1, $2)', [w, i]);
    await pc.query('COMMIT');
  }));
  const pids = new Set(clients.map(pc => pc.processID));
  clients.forEach(pc => pc.release());
  check(pids.size === 4, 'the pool holds four distinct sessions');
  const per = await pool.query('SELECT worker, count(*)::INTEGER AS n, sum(n)::INTEGER AS s FROM hits GROUP BY worker ORDER BY worker');
  check(same(per.rows, [0, 1, 2, 3].map(w => ({ worker: w, n: 25, s: 300 }))),
        'every pooled insert landed exactly once: ' + JSON.stringify(per.rows));
  await Promise.all([...Array(16).keys()].map(i => pool.query('SELECT $1::INTEGER AS i', [i])
    .then(res => { if (res.rows[0].i !== i) throw new Error('crossed answer'); })));
  check(true, '16 queries through the pool of 4 get their own answers');
  await pool.end();
}

main().then(() => process.exit(failed ? 1 : 0),
            e => { console.log('FAIL - unexpected error: ' + (e.stack || e)); process.exit(1); });
JS
TZ=UTC NODE_PATH=$NODE_MODULES timeout 120 node "$SCRATCH/client.js" "$PORT" >"$SCRATCH/client.out" 2>&1
rc=$?
sed 's/^/  /' "$SCRATCH/client.out"
check "node-postgres client checks" test $rc -eq 0
stop_server
check "the server shuts down cleanly" server_exited_cleanly
finish
