// migrate.test.mjs -- `refundd migrate` against the test cluster: a second
// run applies nothing, a changed landed migration stops it, and the
// application role has no DDL rights. scripts/test exports the REFUNDD_*
// environment the binary reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, copyFileSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { psql, uid } from './lib.mjs';

const BIN = process.env.REFUNDD_BIN;
const SQL = process.env.REFUNDD_APP_SQL_DIR;
const migrate = (sqlDir) => spawnSync(BIN, ['migrate'], {
  env: { ...process.env, REFUNDD_APP_SQL_DIR: sqlDir }, encoding: 'utf8',
});

test('migrate twice: the second run applies nothing', () => {
  assert.ok(BIN && SQL, 'REFUNDD_BIN and REFUNDD_APP_SQL_DIR are set by scripts/test');
  const r = migrate(SQL);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const files = readdirSync(SQL).filter((f) => /^\d{3}_.*\.sql$/.test(f));
  assert.equal(Number(psql('SELECT count(*) FROM schema_migrations')), files.length);
});

test('a landed migration that changed stops migrate with a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'refundd-sql-'));
  try {
    for (const f of readdirSync(SQL).filter((f) => f.endsWith('.sql'))) copyFileSync(join(SQL, f), join(dir, f));
    appendFileSync(join(dir, '001_foundation.sql'), '\n-- edited after landing\n');
    const r = migrate(dir);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /001_foundation\.sql has changed since it was applied/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a new migration file is applied once, in its own transaction, and a failing one rolls back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'refundd-sql-'));
  const name = `9${String(Date.now() % 100).padStart(2, '0')}_test_probe.sql`;
  try {
    for (const f of readdirSync(SQL).filter((f) => f.endsWith('.sql'))) copyFileSync(join(SQL, f), join(dir, f));
    appendFileSync(join(dir, name), 'CREATE TABLE migrate_probe_ok (x int);\nCREATE TABLE migrate_probe_ok (x int);\n');
    const bad = migrate(dir);
    assert.notEqual(bad.status, 0, 'a failing migration fails');
    assert.equal(psql("SELECT count(*) FROM pg_tables WHERE tablename = 'migrate_probe_ok'"), '0');
    assert.equal(psql(`SELECT count(*) FROM schema_migrations WHERE name = '${name}'`), '0');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the application role owns nothing and cannot run DDL or rewrite history', () => {
  assert.equal(psql("SELECT has_schema_privilege('refundd_app', 'public', 'CREATE')"), 'f');
  assert.equal(psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = 'refundd_app'"), '0');
  assert.equal(psql("SELECT has_table_privilege('refundd_app', 'audit_events', 'UPDATE')"), 'f');
  assert.equal(psql("SELECT has_table_privilege('refundd_app', 'audit_events', 'DELETE')"), 'f');
  assert.equal(psql("SELECT has_table_privilege('refundd_app', 'balance_ledger', 'UPDATE')"), 'f');
  assert.equal(psql("SELECT has_table_privilege('refundd_app', 'refund_policies', 'UPDATE')"), 'f');
  assert.equal(psql("SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = 'refundd_app'"), 'f');
});

// Two containers started together both run migrate on a new database: the
// session advisory lock (fcgi/migrate.c) makes the second wait and then
// find everything applied; neither fails, each file is applied once.
test('two migrates at once on a new database: both succeed, every file applied once', async () => {
  const db = `refundd_twomig_${uid().replace(/[^a-z0-9]/g, '')}`;
  const host = /host=(\S+)/.exec(process.env.REFUNDD_DB_OWNER_CONNINFO)[1];
  psql(`CREATE DATABASE ${db} OWNER refundd_owner`);
  try {
    const one = () => new Promise((resolve) => {
      const child = spawn(BIN, ['migrate'], { env: { ...process.env,
        REFUNDD_DB_OWNER_CONNINFO: `host=${host} dbname=${db} user=refundd_owner` } });
      let out = '', err = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { err += d; });
      child.on('exit', (code) => resolve({ code, out, err }));
    });
    const runs = await Promise.all([one(), one()]);
    for (const r of runs) assert.equal(r.code, 0, r.err);
    const files = readdirSync(SQL).filter((f) => /^\d{3}_.*\.sql$/.test(f)).sort();
    const applied = runs.flatMap((r) => r.out.split('\n').filter(Boolean)).sort();
    assert.deepEqual(applied, files.map((f) => `applied ${f}`), 'each file applied by one of them, once');
    const q = spawnSync('bash', [new URL('../../scripts/lib.sh', import.meta.url).pathname, 'psql_super',
      process.env.REFUNDD_RUNDIR, '-d', db, '-At', '-c', 'SELECT count(*), count(DISTINCT name) FROM schema_migrations'],
    { encoding: 'utf8' });
    assert.equal(q.stdout.trim(), `${files.length}|${files.length}`, q.stderr);
  } finally {
    psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
});
