// lib.mjs -- what every API test needs: the stack's address, tokens minted
// with the run's real secret, and small request helpers. Tests talk to
// nginx -> refundd -> PostgreSQL, never to a mock.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { checkAnswer } from './openapi.mjs';

export const BASE = process.env.REFUNDD_URL;
export const RUNDIR = process.env.REFUNDD_RUNDIR;
export const THREADS = Number(process.env.REFUNDD_THREADS || 4);
if (!BASE || !RUNDIR) throw new Error('run through scripts/test (REFUNDD_URL, REFUNDD_RUNDIR)');
export const SECRET = readFileSync(`${RUNDIR}/jwt-secret`, 'utf8').trim();

export const b64url = (buf) => Buffer.from(buf).toString('base64url');

// Signs an arbitrary header and payload (strings are used as they are, so a
// test can send duplicate keys or odd JSON).
export function signHS256(header, payload, secret = SECRET) {
  const h = typeof header === 'string' ? header : JSON.stringify(header);
  const p = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const input = `${b64url(h)}.${b64url(p)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export function token(sub, role, extra = {}) {
  const now = Math.floor(Date.now() / 1000);
  return signHS256({ alg: 'HS256', typ: 'JWT' }, { sub, role, iat: now, exp: now + 600, ...extra });
}

export async function api(method, path, { tok, body, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (tok) h.Authorization = `Bearer ${tok}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    if (!('Content-Type' in h)) h['Content-Type'] = 'application/json';
  }
  const res = await fetch(BASE + path, { method, headers: h, body: payload });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  // Every JSON answer must match docs/openapi.yaml: a mismatch fails the
  // test that made the call (openapi.mjs).
  checkAnswer(method, path, res.status, res.headers.get('content-type'), json);
  return { status: res.status, headers: res.headers, json, text };
}

// Asserts an RFC 9457 problem with the given status and code.
export function assertProblem(assert, res, status, code) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') || '', /^application\/problem\+json/);
  assert.equal(res.json.status, status);
  assert.equal(res.json.code, code);
  assert.equal(res.json.type, 'about:blank');
  assert.ok(res.json.title && res.json.detail, 'title and detail present');
  assert.ok(res.json.request_id, 'request_id present');
}

// psql as the superuser on the test cluster; returns trimmed stdout (-At).
// With { input }, the SQL script is read from standard input instead.
export function psql(sql, { input } = {}) {
  const args = [new URL('../../scripts/lib.sh', import.meta.url).pathname,
    'psql_super', RUNDIR, '-d', 'refundd', '-At'];
  if (input === undefined) args.push('-c', sql);
  else args.push('-f', '-');
  return execFileSync('bash', args, { encoding: 'utf8', input, maxBuffer: 1 << 24,
    stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

// Time as the API speaks it: unix seconds and RFC 3339 UTC.
export const DAY = 86400;
export const nowS = () => Math.floor(Date.now() / 1000);
export const iso = (unixS) => new Date(unixS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function pgctl(action) {
  execFileSync('bash', [new URL('../../scripts/lib.sh', import.meta.url).pathname, action, RUNDIR],
    { stdio: 'inherit' });
}

export const uid = () => randomUUID().slice(0, 8);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A problem the web server in front of refundd (nginx, Apache, lighttpd)
// wrote itself: refundd's members exactly, the code, and a request id
// refundd would accept. got: { status, contentType, text }.
export function assertServerProblem(assert, got, status, code) {
  assert.equal(got.status, status, got.text);
  assert.match(got.contentType || '', /^application\/problem\+json/, got.text);
  const p = JSON.parse(got.text);
  assert.deepEqual(Object.keys(p).sort(), ['code', 'detail', 'request_id', 'status', 'title', 'type']);
  assert.equal(p.status, status);
  assert.equal(p.code, code);
  assert.equal(p.type, 'about:blank');
  assert.match(p.request_id, /^[A-Za-z0-9._-]{1,63}$/);
  return p;
}
