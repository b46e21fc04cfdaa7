// process.test.mjs -- the refundd process itself, run here as a process of
// its own on its own socket (tests/api/fcgi-client.mjs speaks FastCGI to
// it): a worker whose accept() fails (out of file descriptors) keeps
// serving once it can again; SIGTERM finishes the request in flight, then
// exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { api, psql, sleep, token, uid, RUNDIR } from './lib.mjs';
import { fcgiRequest } from './fcgi-client.mjs';

const BIN = process.env.REFUNDD_BIN;

function start(sock, env = {}) {
  const child = spawn(BIN, ['serve'], { env: { ...process.env, REFUNDD_SERVER_LISTEN: sock, ...env },
    stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  return { child, log: () => log, exited };
}

// The lowest descriptor number the process does not use: what the next
// accept() would get.
function lowestFreeFd(pid) {
  const used = new Set(readdirSync(`/proc/${pid}/fd`).map(Number));
  let n = 0;
  while (used.has(n)) n++;
  return n;
}

// Sets refundd's soft limit on descriptors. Started as root, refundd runs
// as server.user, and only that user (or CAP_SYS_RESOURCE) may change its
// limits.
function setFdLimit(pid, soft) {
  const cmd = ['prlimit', '--pid', String(pid), `--nofile=${soft}:`];
  if (process.getuid() === 0) cmd.unshift('runuser', '-u', process.env.REFUNDD_SERVER_USER || 'refundd', '--');
  execFileSync(cmd[0], cmd.slice(1));
}

// libfcgi's FCGX_Accept_r returns an error for EMFILE, ENFILE, ENOBUFS and
// ENOMEM (it retries only the connection-level ones); a worker that took
// that as its end left the process up with no one accepting: every
// request after it waited until nginx gave up (504), until a restart.
test('a worker whose accept fails (no file descriptor left) serves again once it can', async () => {
  assert.ok(BIN, 'REFUNDD_BIN is set by scripts/test');
  const sock = `${RUNDIR}/run/refundd-proc-${uid()}.sock`;
  const p = start(sock, { REFUNDD_SERVER_THREADS: '1' });
  try {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(100);
    assert.ok(existsSync(sock), `refundd did not start: ${p.log()}`);
    const first = await fcgiRequest(sock, 'GET', '/api/v1/health');
    assert.equal(first.status, 200, first.text);

    // Linux reserves the descriptor of an accept() before it waits, so the
    // worker already waiting has its own: that request is served, and the
    // worker's next accept() fails at once with EMFILE, until the limit is
    // lifted.
    // (The last connection's descriptor may still be open when the list is
    // read, leaving the limit one too high: then lower it again.)
    const pid = p.child.pid;
    for (let round = 0; round < 5 && !p.log().includes('"accept"'); round++) {
      setFdLimit(pid, lowestFreeFd(pid));
      const served = await fcgiRequest(sock, 'GET', '/api/v1/health', { timeoutMs: 15000 });
      assert.equal(served.status, 200, served.text);
      for (let i = 0; i < 10 && !p.log().includes('"accept"'); i++) await sleep(100);
    }
    assert.match(p.log(), /"event":"accept","msg":"[^"]*Too many open files/, 'the failure is logged');
    setFdLimit(pid, 4096);

    for (let i = 0; i < 3; i++) {
      const r = await fcgiRequest(sock, 'GET', '/api/v1/health', { timeoutMs: 15000 });
      assert.equal(r.status, 200, r.text);
    }
  } finally {
    p.child.kill('SIGTERM');
  }
  assert.equal(await p.exited, 0, `exit after SIGTERM: ${p.log()}`);
});

// DESIGN.md §5: SIGTERM finishes the requests in flight, then exits. A
// customer's cancel waits on its order's row, locked here; SIGTERM comes
// meanwhile; once the lock goes the cancel is answered and committed, and
// only then does refundd exit, 0.
test('SIGTERM: the request in flight is answered and committed, then refundd exits 0', async () => {
  const run = uid();
  const account = `proc-${run}`;
  const orderId = `PROC-${run}`;
  const put = await api('PUT', `/api/v1/orders/${orderId}`, { tok: token(`billing-${run}`, 'system'), body: {
    account, provider: 'aliyun', product_type: 'api_credits', product_name: 'probe', billing_mode: 'one_time',
    status: 'unpaid', amount_paid: 0, currency: 'CNY', payment_method: 'alipay' } });
  assert.equal(put.status, 201, put.text);

  const sock = `${RUNDIR}/run/refundd-term-${run}.sock`;
  const p = start(sock);
  const locker = spawn('bash', [new URL('../../scripts/lib.sh', import.meta.url).pathname, 'psql_super', RUNDIR,
    '-d', 'refundd', '-At', '-f', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let locked = '';
  locker.stdout.on('data', (d) => { locked += d; });
  try {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(100);
    assert.ok(existsSync(sock), `refundd did not start: ${p.log()}`);
    locker.stdin.write(`BEGIN;\nSELECT 'locked' FROM orders WHERE id = '${orderId}' FOR UPDATE;\n`);
    for (let i = 0; i < 100 && !locked.includes('locked'); i++) await sleep(50);
    assert.ok(locked.includes('locked'), 'the row is locked');

    const cancel = fcgiRequest(sock, 'POST', `/api/v1/orders/${orderId}/cancel`,
      { tok: token(account, 'customer'), timeoutMs: 30000 });
    const waiting = () => psql(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
      AND query LIKE '%FOR UPDATE%' AND application_name = 'refundd'`);
    for (let i = 0; i < 100 && waiting() === '0'; i++) await sleep(50);
    assert.equal(waiting(), '1', 'the cancel waits on the row');

    p.child.kill('SIGTERM');
    for (let i = 0; i < 100 && !p.log().includes('"stopping"'); i++) await sleep(50);
    assert.match(p.log(), /"event":"stopping"/);
    assert.equal(p.child.exitCode, null, 'still running while its request is in flight');
    locker.stdin.end('ROLLBACK;\n');

    const r = await cancel;
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'cancelled', r.text);
    assert.equal(await p.exited, 0, p.log());
    assert.equal(psql(`SELECT status FROM orders WHERE id = '${orderId}'`), 'cancelled');
    const lines = p.log().split('\n');
    assert.ok(lines.findIndex((l) => l.includes('"stopping"')) <
      lines.findIndex((l) => l.includes('/cancel') && l.includes('"status":200')), 'answered after the signal');
  } finally {
    if (locker.exitCode === null) locker.stdin.end('ROLLBACK;\n');
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  }
});

// DESIGN.md §5: logs carry the request id. The request line did; the error
// a request met on its way (here: a database without refundd's tables)
// was logged without it, so nothing tied the cause to the 500 it became.
test('an error logged while serving a request names that request', async () => {
  const sock = `${RUNDIR}/run/refundd-noschema-${uid()}.sock`;
  const host = /host=(\S+)/.exec(process.env.REFUNDD_DB_CONNINFO)[1];
  const p = start(sock, { REFUNDD_DB_CONNINFO: `host=${host} dbname=postgres user=refundd_app` });
  try {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(100);
    assert.ok(existsSync(sock), `refundd did not start: ${p.log()}`);
    const r = await fcgiRequest(sock, 'GET', '/api/v1/audit?entity=refund', { tok: token(`proc-admin-${uid()}`, 'admin') });
    assert.equal(r.status, 500, r.text);
    const id = r.json.request_id;
    assert.match(id, /^[0-9a-f]{32}$/);
    const lines = p.log().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const errors = lines.filter((l) => l.level === 'error' && l.event === 'audit_list');
    assert.ok(errors.length > 0, p.log());
    for (const e of errors) assert.equal(e.request_id, id, JSON.stringify(e));
    // the sealer's own errors (no request) carry none
    const sealer = lines.filter((l) => l.level === 'error' && l.event !== 'audit_list');
    for (const e of sealer) assert.equal(e.request_id, undefined, JSON.stringify(e));
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
});

// The run's secrets (scripts/lib.sh) are its owner's alone. The database
// passwords were written 0644 in a 0755 folder beside a socket anyone on
// the machine may connect to: any local user could log in as the
// PostgreSQL superuser and rewrite the audit trail.
test('the run\'s secrets are readable by their owner only', () => {
  const secrets = `${RUNDIR}/secrets`;
  const mode = (p) => statSync(p).mode & 0o777;
  assert.equal(mode(secrets) & 0o077, 0, `${secrets} is ${mode(secrets).toString(8)}`);
  const files = readdirSync(secrets);
  assert.ok(files.includes('pg-superuser') && files.includes('pg-app') && files.includes('pg-owner'), files.join());
  for (const f of [...files.map((f) => `${secrets}/${f}`), `${RUNDIR}/jwt-secret`, `${RUNDIR}/audit-signing.pem`]) {
    assert.equal(mode(f) & 0o077, 0, `${f} is ${mode(f).toString(8)}`);
  }
});
