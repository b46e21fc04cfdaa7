// sealer.test.mjs -- the audit sealer across processes and migrations:
// a second refundd process on the same database does not seal too (one
// session advisory lock elects the sealer); when the sealer's connection
// dies another takes over and events are still sealed; and sql/007 carries
// a chain built by the old trigger (sql/003) over unchanged, tamper included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign as signSig } from 'node:crypto';
import { api, token, uid, psql, sleep, nowS, iso, DAY, RUNDIR } from './lib.mjs';
import { fcgiRequest } from './fcgi-client.mjs';

const RUN = uid();
const BIN = process.env.REFUNDD_BIN;
const SYSTEM = token(`billing-${RUN}`, 'system');
const ADMIN = token(`se-admin-${RUN}`, 'admin');
const SEALER_LOCK = `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 0
  AND objid = 7270002 AND objsubid = 1 AND granted`;

async function event() {
  const id = `SE-${RUN}-${randomUUID().slice(0, 8)}`;
  const r = await api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body: {
    account: `se-${RUN}`, provider: 'aliyun', product_type: 'api_credits', product_name: 'probe',
    billing_mode: 'one_time', status: 'paid', amount_paid: 100, currency: 'CNY',
    payment_method: 'alipay', paid_at: iso(nowS() - DAY) } });
  assert.equal(r.status, 201, r.text);
  return id;
}

async function sealedWithin(orderId, ms) {
  const started = Date.now();
  while (Date.now() - started < ms) {
    const pos = psql(`SELECT c.position FROM audit_events e JOIN audit_chain c ON c.event_id = e.id
      WHERE e.entity = 'order' AND e.entity_id = '${orderId}'`);
    if (pos) return Date.now() - started;
    await sleep(50);
  }
  return null;
}

function startSecond(sock) {
  const child = spawn(BIN, ['serve'], {
    env: { ...process.env, REFUNDD_SERVER_LISTEN: sock }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  return { child, log: () => log };
}

test('two processes, one sealer; when its connection dies another takes over', async () => {
  assert.ok(BIN, 'REFUNDD_BIN is set by scripts/test');
  const sock = `${RUNDIR}/run/refundd-second-${RUN}.sock`;
  const second = startSecond(sock);
  try {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(100);
    assert.ok(existsSync(sock), `second refundd did not start: ${second.log()}`);
    await sleep(600);   // a few sealer rounds of both
    const holders = psql(SEALER_LOCK).split('\n').filter(Boolean);
    assert.equal(holders.length, 1, 'exactly one sealer holds the lock');
    const sealers = psql(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'refundd'
      AND datname = 'refundd'`);
    assert.ok(Number(sealers) >= 2, 'both processes are connected');

    const first = await event();
    assert.ok((await sealedWithin(first, 2000)) !== null, 'sealed with two processes running');

    // The sealer's backend is killed: its session lock goes with it.
    psql(`SELECT pg_terminate_backend(${holders[0]})`);
    const after = await event();
    const waited = await sealedWithin(after, 5000);
    assert.ok(waited !== null, 'another sealer (or the same, reconnected) took over');
    const now = psql(SEALER_LOCK).split('\n').filter(Boolean);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], holders[0]);
    const v = await api('GET', '/api/v1/audit/verify', { tok: ADMIN });
    assert.equal(v.json.ok, true, v.text);
  } finally {
    second.child.kill('SIGTERM');
    const code = await new Promise((r) => second.child.on('exit', (c) => r(c)));
    assert.equal(code, 0, `second refundd exit: ${second.log()}`);
  }
});

test('sql/007 carries over a chain built by the old trigger, and a tampered one stays tampered', () => {
  const SQL = process.env.REFUNDD_APP_SQL_DIR;
  const db = `refundd_mig_${RUN.replace(/[^a-z0-9]/g, '')}`;
  const dir = mkdtempSync(join(tmpdir(), 'refundd-sql-'));
  const host = /host=(\S+)/.exec(process.env.REFUNDD_DB_OWNER_CONNINFO)[1];
  const migrate = () => spawnSync(BIN, ['migrate'], { encoding: 'utf8', env: { ...process.env,
    REFUNDD_APP_SQL_DIR: dir, REFUNDD_DB_OWNER_CONNINFO: `host=${host} dbname=${db} user=refundd_owner` } });
  const q = (sql) => spawnSync('bash', [new URL('../../scripts/lib.sh', import.meta.url).pathname,
    'psql_super', RUNDIR, '-d', db, '-At', '-c', sql], { encoding: 'utf8' });
  psql(`CREATE DATABASE ${db} OWNER refundd_owner`);
  try {
    q('ALTER SCHEMA public OWNER TO refundd_owner');
    for (const f of readdirSync(SQL).filter((f) => /^00[1-6]_.*\.sql$/.test(f))) copyFileSync(join(SQL, f), join(dir, f));
    let r = migrate();
    assert.equal(r.status, 0, r.stderr);
    // Events written the old way: the trigger links each under its lock.
    for (let i = 0; i < 5; i++) {
      const w = q(`INSERT INTO audit_events (id, at, actor, actor_role, action, entity, entity_id, prev_hash, hash)
        VALUES (0, now(), 'old-${i}', 'admin', 'policy.version', 'refund_policy', 'x', '', '')`);
      assert.equal(w.status, 0, w.stderr);
    }
    assert.equal(q('SELECT ok FROM audit_verify()').stdout.trim(), 't');
    const oldHashes = q("SELECT string_agg(encode(hash, 'hex'), ',' ORDER BY id) FROM audit_events").stdout.trim();
    copyFileSync(join(SQL, '007_audit_sealer.sql'), join(dir, '007_audit_sealer.sql'));
    r = migrate();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(q("SELECT string_agg(encode(hash, 'hex'), ',' ORDER BY position) FROM audit_chain").stdout.trim(), oldHashes);
    assert.equal(q('SELECT ok, checked, unsealed FROM audit_verify()').stdout.trim(), 't|5|0');
    // New events after the migration continue the same chain.
    q(`INSERT INTO audit_events (actor, actor_role, action, entity, entity_id) VALUES ('new', 'admin', 'x', 'y', 'z');
       INSERT INTO audit_unsealed SELECT max(id) FROM audit_events;`);
    assert.equal(q('SELECT audit_seal(100)').stdout.trim(), '1');
    assert.equal(q('SELECT ok, checked FROM audit_verify()').stdout.trim(), 't|6');
    // A row edited before the migration is still found after it.
    q(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change;
       UPDATE audit_events SET actor = 'forged' WHERE actor = 'old-2';`);
    assert.equal(q('SELECT ok, first_bad_position FROM audit_verify()').stdout.trim(), 'f|3');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
});

// GET /api/v1/audit/verify on a long chain, from a refundd of its own on a
// database of its own whose statement_timeout (1 s) a whole walk of the
// chain in one statement outlasts by far (~10 us an event): verify answers
// the proof all the same, its walk cut into statements that each stay short
// (one snapshot), and still finds an edit near the end; the checkpoints, a
// slice at a time too, are all checked and a forged one is named.
test('verify walks a long trail in short statements: 300 000 events, 12 000 checkpoints, a 1 s statement_timeout', async () => {
  const N = 300000;
  const db = `refundd_long_${RUN.replace(/[^a-z0-9]/g, '')}`;
  const host = /host=(\S+)/.exec(process.env.REFUNDD_DB_OWNER_CONNINFO)[1];
  const q = (sql) => {   // on stdin: the checkpoints' INSERT is longer than an argument may be
    const r = spawnSync('bash', [new URL('../../scripts/lib.sh', import.meta.url).pathname,
      'psql_super', RUNDIR, '-d', db, '-At', '-v', 'ON_ERROR_STOP=1', '-f', '-'],
    { encoding: 'utf8', input: sql, maxBuffer: 1 << 24 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  const sock = `${RUNDIR}/run/refundd-long-${RUN}.sock`;
  let child = null, log = '';
  psql(`CREATE DATABASE ${db} OWNER refundd_owner`);
  try {
    q('ALTER SCHEMA public OWNER TO refundd_owner');
    const m = spawnSync(BIN, ['migrate'], { encoding: 'utf8', env: { ...process.env,
      REFUNDD_DB_OWNER_CONNINFO: `host=${host} dbname=${db} user=refundd_owner` } });
    assert.equal(m.status, 0, m.stderr);
    q(`WITH e AS (INSERT INTO audit_events (actor, actor_role, action, entity, entity_id, before, after, request_id)
         SELECT 'long', 'admin', 'refund.approve', 'refund', g::text, '{"status":"in_review"}',
                '{"status":"approved","amount":1000}', 'req-' || g FROM generate_series(1, ${N}) g RETURNING id)
       INSERT INTO audit_unsealed SELECT id FROM e`);
    assert.equal(q(`SELECT audit_seal(${N})`), String(N));
    child = spawn(BIN, ['serve'], { env: { ...process.env, REFUNDD_SERVER_LISTEN: sock,
      REFUNDD_DB_CONNINFO: `host=${host} dbname=${db} user=refundd_app`,
      REFUNDD_DB_STATEMENT_TIMEOUT_MS: '1000' }, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d) => { log += d; });
    for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(100);
    assert.ok(existsSync(sock), `refundd did not start: ${log}`);

    let v = await fcgiRequest(sock, 'GET', '/api/v1/audit/verify', { tok: ADMIN });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.json.ok, true, v.text);
    assert.equal(v.json.checked, N);
    assert.deepEqual(v.json.failures, []);

    // 12 000 checkpoints (a minute each is 8 days' worth), signed here with
    // the run's key: every one is checked, over slices; one forged is named.
    const key = createPrivateKey(readFileSync(`${RUNDIR}/audit-signing.pem`, 'utf8'));
    const der = createPublicKey(key).export({ format: 'der', type: 'spki' });
    const pub = der.subarray(der.length - 32).toString('hex');
    const heads = q(`SELECT position, encode(hash, 'hex') FROM audit_chain WHERE position % 25 = 0 ORDER BY position`)
      .split('\n').map((l) => l.split('|'));
    const unix = nowS() - DAY;
    const rows = heads.map(([pos, hash], i) => {
      const sig = signSig(null, Buffer.from(`refundd-audit-checkpoint/v1 ${pos} ${hash} ${unix + i}`), key);
      return `(${pos}, '\\x${hash}', to_timestamp(${unix + i}), '\\x${pub}', '\\x${sig.toString('hex')}')`;
    });
    assert.equal(rows.length, N / 25);
    q(`INSERT INTO audit_checkpoints (position, head_hash, signed_at, public_key, signature) VALUES ${rows.join(',')}`);
    v = await fcgiRequest(sock, 'GET', '/api/v1/audit/verify', { tok: ADMIN });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.json.ok, true, v.text);
    // (its own sealer may have signed the head too, every 3 s here)
    assert.deepEqual(v.json.checkpoints, { checked: Number(q('SELECT count(*) FROM audit_checkpoints')),
      last_position: N, not_in_chain_id: null, bad_signature_id: null });
    assert.ok(v.json.checkpoints.checked >= N / 25);
    const forged = Number(q('SELECT id FROM audit_checkpoints ORDER BY id OFFSET 11000 LIMIT 1'));
    q(`ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_no_change;
       UPDATE audit_checkpoints SET signed_at = signed_at + interval '1 second' WHERE id = ${forged};`);
    v = await fcgiRequest(sock, 'GET', '/api/v1/audit/verify', { tok: ADMIN });
    assert.deepEqual([v.json.ok, v.json.failures, v.json.checkpoints.bad_signature_id], [false, ['bad_signature'], forged],
      v.text);

    const target = Number(q(`SELECT event_id FROM audit_chain WHERE position = ${N - 1}`));
    q(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change;
       UPDATE audit_events SET actor = 'forged' WHERE id = ${target};`);
    v = await fcgiRequest(sock, 'GET', '/api/v1/audit/verify', { tok: ADMIN });
    assert.equal(v.status, 200, v.text);
    assert.deepEqual([v.json.ok, v.json.first_bad_position, v.json.first_bad_id, v.json.checked],
      [false, N - 1, target, N - 1], v.text);
  } finally {
    if (child) {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    }
    psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
});

// A signing key is rotated (it leaked, or its holder left): the
// checkpoints signed before stay in the insert-only table for good, and
// verify took every one not signed by the current key as forged, so it
// never passed again. audit.trusted_keys_file names the earlier public keys
// whose checkpoints still count; any other key is still bad_signature.
test('a rotated signing key: the old key\'s checkpoints verify once it is listed as trusted', async () => {
  const db = `refundd_rot_${RUN.replace(/[^a-z0-9]/g, '')}`;
  const host = /host=(\S+)/.exec(process.env.REFUNDD_DB_OWNER_CONNINFO)[1];
  const q = (sql) => {
    const r = spawnSync('bash', [new URL('../../scripts/lib.sh', import.meta.url).pathname,
      'psql_super', RUNDIR, '-d', db, '-At', '-v', 'ON_ERROR_STOP=1', '-f', '-'], { encoding: 'utf8', input: sql });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  const dir = mkdtempSync(join(tmpdir(), 'refundd-keys-'));
  const raw = (k) => { const d = createPublicKey(k).export({ format: 'der', type: 'spki' }); return d.subarray(d.length - 32).toString('hex'); };
  const oldKey = generateKeyPairSync('ed25519').privateKey, otherKey = generateKeyPairSync('ed25519').privateKey;
  const newPem = join(dir, 'new.pem');
  writeFileSync(newPem, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  const trusted = join(dir, 'trusted');
  writeFileSync(trusted, `# keys retired on rotation\n${raw(oldKey)}\n\n`);
  const sign = (key, pos, hash, unix) => `(${pos}, '\\x${hash}', to_timestamp(${unix}), '\\x${raw(key)}', '\\x${
    signSig(null, Buffer.from(`refundd-audit-checkpoint/v1 ${pos} ${hash} ${unix}`), key).toString('hex')}')`;
  let child = null;
  const serve = async (env) => {
    const sock = `${RUNDIR}/run/refundd-rot-${RUN}-${Math.random().toString(36).slice(2, 8)}.sock`;
    child = spawn(BIN, ['serve'], { env: { ...process.env, REFUNDD_SERVER_LISTEN: sock,
      REFUNDD_DB_CONNINFO: `host=${host} dbname=${db} user=refundd_app`, REFUNDD_AUDIT_SIGNING_KEY_FILE: newPem,
      REFUNDD_AUDIT_CHECKPOINT_INTERVAL: '86400', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => { log += d; });
    for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(100);
    assert.ok(existsSync(sock), `refundd did not start: ${log}`);
    const v = await fcgiRequest(sock, 'GET', '/api/v1/audit/verify', { tok: ADMIN });
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    child = null;
    assert.equal(v.status, 200, v.text);
    return v.json;
  };
  psql(`CREATE DATABASE ${db} OWNER refundd_owner`);
  try {
    const m = spawnSync(BIN, ['migrate'], { encoding: 'utf8', env: { ...process.env,
      REFUNDD_DB_OWNER_CONNINFO: `host=${host} dbname=${db} user=refundd_owner` } });
    assert.equal(m.status, 0, m.stderr);
    q(`WITH e AS (INSERT INTO audit_events (actor, actor_role, action, entity, entity_id)
         SELECT 'rot', 'admin', 'x', 'y', g::text FROM generate_series(1, 3) g RETURNING id)
       INSERT INTO audit_unsealed SELECT id FROM e; SELECT audit_seal(10);`);
    const heads = q("SELECT position, encode(hash, 'hex') FROM audit_chain ORDER BY position").split('\n').map((l) => l.split('|'));
    const unix = nowS() - DAY;
    q(`INSERT INTO audit_checkpoints (position, head_hash, signed_at, public_key, signature) VALUES
       ${sign(oldKey, ...heads[0], unix)}, ${sign(oldKey, ...heads[1], unix + 1)}`);

    let v = await serve({});
    assert.deepEqual([v.ok, v.failures], [false, ['bad_signature']], 'not trusted: the old key\'s checkpoints fail');
    v = await serve({ REFUNDD_AUDIT_TRUSTED_KEYS_FILE: trusted });
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.equal(v.checkpoints.checked, 2);

    // a key nobody listed is still refused
    q(`INSERT INTO audit_checkpoints (position, head_hash, signed_at, public_key, signature) VALUES
       ${sign(otherKey, ...heads[2], unix + 2)}`);
    const third = Number(q('SELECT max(id) FROM audit_checkpoints'));
    v = await serve({ REFUNDD_AUDIT_TRUSTED_KEYS_FILE: trusted });
    assert.deepEqual([v.ok, v.checkpoints.bad_signature_id], [false, third]);

    // a file that is not a list of keys stops refundd, naming file and line
    const bad = join(dir, 'bad');
    writeFileSync(bad, `${raw(oldKey)}\nnot-a-key\n`);
    const r = spawnSync(BIN, ['serve'], { encoding: 'utf8', timeout: 10000, env: { ...process.env,
      REFUNDD_SERVER_LISTEN: `${RUNDIR}/run/refundd-rot-bad-${RUN}.sock`, REFUNDD_AUDIT_TRUSTED_KEYS_FILE: bad } });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`${bad}:2: `));
  } finally {
    if (child) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
});
