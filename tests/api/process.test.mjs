// process.test.mjs -- the refundd process itself, run here as a process of
// its own on its own socket (tests/api/fcgi-client.mjs speaks FastCGI to
// it): a worker whose accept() fails (out of file descriptors) keeps
// serving once it can again, and SIGTERM still stops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { sleep, uid, RUNDIR } from './lib.mjs';
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
    const pid = p.child.pid;
    setFdLimit(pid, lowestFreeFd(pid));
    const served = await fcgiRequest(sock, 'GET', '/api/v1/health', { timeoutMs: 15000 });
    assert.equal(served.status, 200, served.text);
    for (let i = 0; i < 50 && !p.log().includes('"accept"'); i++) await sleep(100);
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
