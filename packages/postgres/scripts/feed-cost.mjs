// What the change feed costs a write: create, update and patch through the store, in rounds that
// alternate between variants in one process (the machine's swing hits every variant alike).
//
//   node packages/postgres/scripts/feed-cost.mjs [--url postgres://...] [--calls 2000] [--rounds 4]
//     [--conc 1,32] [--pool 32] [--variants on,off] [--before <dir of an older dist>]
//
// Variants: `on` (the schema as migrated), `off` (the feed's triggers disabled: for measuring
// only, the feed then misses those writes), `before` (the build in --before, its own schema).
// Each variant writes in its own schema (feedcost_<variant>), dropped at the start. Prints ops/s,
// WAL bytes per write and, with pg_stat_statements loaded, the server time per statement call.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values: args } = parseArgs({
  options: {
    url: {
      type: 'string',
      default: process.env.TASKVAULT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    },
    calls: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '4' },
    conc: { type: 'string', default: '1,32' },
    pool: { type: 'string', default: '32' },
    variants: { type: 'string', default: 'on,off' },
    ops: { type: 'string', default: 'create,update,patch' },
    before: { type: 'string' },
    waits: { type: 'boolean', default: false },
    'async-commit': { type: 'boolean', default: false },
  },
});
const calls = Number(args.calls);
const rounds = Number(args.rounds);
const pool = Number(args.pool);
const concs = args.conc.split(',').map(Number);
const ops = args.ops.split(',');
const variants = args.variants.split(',');

const current = await import('../dist/index.js');
const older = args.before ? await import(`${args.before}/index.js`) : null;
const admin = new pg.Client({ connectionString: args.url });
await admin.connect();
const hasStatements =
  (await admin.query(`select 1 from pg_extension where extname = 'pg_stat_statements'`)).rowCount > 0;

/** A ~2.2 KB task: four items (two with structured content) and some application data. */
function newTask(taskId) {
  const at = new Date(Date.UTC(2025, 0, 15, 9, 30));
  const item = (n, content) => ({
    requestId: `${taskId}:req-${n % 2}`,
    role: n % 2 ? 'assistant' : 'user',
    content,
    createdAt: at,
  });
  return {
    taskId,
    status: 'running',
    sessionId: 'session-1',
    userId: 'user-1',
    items: [
      item(0, 'Plan the next step. '.repeat(8)),
      item(1, { type: 'tool_call', name: 'search', arguments: { q: 'fares', limit: 10 } }),
      item(2, {
        type: 'tool_result',
        rows: Array.from({ length: 3 }, (_, i) => ({ i, price: 70 + i, seats: 3 })),
      }),
      item(3, 'A summary of the results for the user. '.repeat(6)),
    ],
    data: {
      query: 'fares next Friday',
      maxSteps: 25,
      stats: { steps: 4, tokens: 4734 },
      notes: 'n'.repeat(1000),
    },
  };
}

const stores = {};
for (const v of variants) {
  const mod = v === 'before' ? older : current;
  if (mod === null) throw new Error('variant "before" needs --before <dist dir>');
  const schema = `feedcost_${v}`;
  await admin.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
  const store = new mod.PostgresTaskStore({
    connectionString: args.url,
    schema,
    poolOptions: { max: pool },
    sweepIntervalMs: 0,
  });
  await store.migrate();
  if (v === 'nolock') await dropWriterLock(schema);
  stores[v] = { store, schema };
}

/** `nolock`: the trigger functions without the writers' shared advisory lock (measuring only). */
async function dropWriterLock(schema) {
  for (const name of ['on_insert', 'on_update', 'on_delete']) {
    const { rows } = await admin.query('select pg_get_functiondef($1::regproc) as def', [
      `${schema}.taskvault_changes_${name}`,
    ]);
    const def = rows[0].def.replace(/^\s*PERFORM pg_advisory_xact_lock_shared[^;]*;$/ms, '');
    await admin.query(def);
  }
}

async function setTriggers(v, enabled) {
  const { schema } = stores[v];
  const verb = enabled ? 'enable' : 'disable';
  for (const t of ['changes_on_insert', 'changes_on_update', 'changes_on_delete']) {
    await admin.query(`alter table ${schema}.taskvault_tasks ${verb} trigger ${t}`);
  }
}

/** Runs `n` calls of `fn(i, worker)` on `c` workers; returns ops/s. */
async function timed(n, c, fn) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async (_, w) => {
      for (let i = next++; i < n; i = next++) await fn(i, w);
    }),
  );
  return (n / (performance.now() - t0)) * 1000;
}

/** With --waits: what the store's backends wait on, sampled every 5 ms while a round runs. */
function sampleWaits() {
  const sampler = new pg.Client({ connectionString: args.url });
  const tally = new Map();
  let running = true;
  const done = (async () => {
    await sampler.connect();
    while (running) {
      const { rows } = await sampler.query(
        `select coalesce(wait_event_type || ':' || wait_event, state) as w from pg_stat_activity
         where backend_type = 'client backend' and pid <> pg_backend_pid() and state <> 'idle'
           and query like '%feedcost%'`,
      );
      for (const r of rows) tally.set(r.w, (tally.get(r.w) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 5));
    }
    await sampler.end();
  })();
  return {
    async stop() {
      running = false;
      await done;
      const total = [...tally.values()].reduce((a, b) => a + b, 0) || 1;
      const top = [...tally].sort((a, b) => b[1] - a[1]).slice(0, 6);
      return `\n    waits: ${top.map(([w, n]) => `${w} ${((n / total) * 100).toFixed(0)}%`).join(', ')}`;
    },
  };
}

async function walLsn() {
  return (await admin.query('select pg_current_wal_lsn() as l')).rows[0].l;
}
async function walBytesSince(lsn) {
  return Number(
    (await admin.query('select pg_wal_lsn_diff(pg_current_wal_lsn(), $1) as d', [lsn])).rows[0].d,
  );
}

/** Server time of the store's top-level statements per write, µs (null without pg_stat_statements). */
async function serverPerWrite(schema, writes) {
  if (!hasStatements) return null;
  const { rows } = await admin.query(
    `select sum(total_exec_time) as ms from pg_stat_statements where toplevel and query like $1`,
    [`%${schema}%`],
  );
  return (Number(rows[0].ms) * 1000) / writes;
}

async function serverTimes(schema) {
  if (!hasStatements) return '';
  const { rows } = await admin.query(
    `select calls, total_exec_time / calls * 1000 as us, left(regexp_replace(query, '\\s+', ' ', 'g'), 60) as q
     from pg_stat_statements where query like '%${schema}%' and calls >= 100 and query not like '%pg_stat_statements%'
     order by calls * total_exec_time desc limit 4`,
  );
  const fns = await admin.query(
    `select funcname, calls, total_time / calls * 1000 as us from pg_stat_user_functions
     where schemaname = $1 and calls > 0`,
    [schema],
  );
  return [
    ...rows.map((r) => `${Number(r.us).toFixed(0)}µs×${r.calls} ${r.q}`),
    ...fns.rows.map((r) => `${r.funcname} ${Number(r.us).toFixed(1)}µs×${r.calls}`),
  ].join(' | ');
}

const results = {};
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? variants : [...variants].reverse();
  for (const c of concs) {
    for (const v of order) {
      const { store, schema } = stores[v];
      if (v === 'off') await setTriggers(v, false);
      for (const op of ops) {
        // fixtures: one task per worker for update and patch
        const fixtures = [];
        if (op !== 'create') {
          for (let w = 0; w < c; w++) fixtures.push(await store.create(newTask(randomUUID())));
        }
        const docs = op === 'create' ? Array.from({ length: calls }, () => newTask(randomUUID())) : [];
        if (hasStatements) await admin.query('select pg_stat_statements_reset(), pg_stat_reset()');
        const lsn = await walLsn();
        const sampler = args.waits ? sampleWaits() : null;
        const rate = await timed(calls, c, async (i, w) => {
          if (op === 'create') await store.create(docs[i]);
          else if (op === 'update') {
            const t = fixtures[w];
            t.data.stats.steps = i;
            fixtures[w] = await store.update(t);
          } else await store.patch(fixtures[w].taskId, { data: { step: i } });
        });
        const waits = sampler ? await sampler.stop() : '';
        const server = await serverPerWrite(schema, calls);
        const wal = (await walBytesSince(lsn)) / calls;
        const key = `${op} c=${c} ${v}`;
        results[key] = [...(results[key] ?? []), { rate, wal, server }];
        console.log(
          `round ${round} ${key}: ${rate.toFixed(0)}/s, ${wal.toFixed(0)} WAL B/write  ${await serverTimes(schema)}${waits}`,
        );
      }
      if (v === 'off') await setTriggers(v, true);
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('\nmedian ops/s (WAL bytes per write, server µs per write):');
for (const [key, rs] of Object.entries(results)) {
  console.log(
    `${key.padEnd(22)} ${median(rs.map((r) => r.rate))
      .toFixed(0)
      .padStart(
        6,
      )}/s  (${median(rs.map((r) => r.wal)).toFixed(0)} B, ${rs[0].server === null ? '-' : median(rs.map((r) => r.server)).toFixed(0)} µs)  all: ${rs.map((r) => r.rate.toFixed(0)).join(' ')}`,
  );
}
for (const { store } of Object.values(stores)) await store.close();
await admin.end();
