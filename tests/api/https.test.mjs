// https.test.mjs -- the shipped nginx configuration with a certificate:
// HTTPS only (TLS 1.2 and 1.3, forward-secret AEAD ciphers, HSTS), plain
// HTTP redirected; without one, plain HTTP only on loopback. A second
// nginx rendered by scripts/lib.sh nginx_start from conf/nginx.conf with a
// self-signed certificate made here, in front of the test stack's refundd.
// And no token in any log line, whichever way it travelled.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, chmodSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { api, token, RUNDIR, sleep } from './lib.mjs';

const LIB = new URL('../../scripts/lib.sh', import.meta.url).pathname;
const RENDER = new URL('../../scripts/nginx-render', import.meta.url).pathname;
const CONF = new URL('../../conf/nginx.conf', import.meta.url).pathname;
const freePort = () => Number(execFileSync('bash', [LIB, 'free_port']).toString().trim());

const rd = mkdtempSync('/tmp/refundd-tls-');
chmodSync(rd, 0o755);
mkdirSync(`${rd}/run`);
chmodSync(`${rd}/run`, 0o755);
symlinkSync(`${RUNDIR}/run/refundd.sock`, `${rd}/run/refundd.sock`);
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
  '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  '-keyout', `${rd}/tls.key`, '-out', `${rd}/tls.crt`], { stdio: 'ignore' });
chmodSync(`${rd}/tls.key`, 0o644);   // nginx's master reads it; the folder is the test's
const CA = readFileSync(`${rd}/tls.crt`);
const HTTPS_PORT = freePort();
const HTTP_PORT = freePort();
execFileSync('bash', [LIB, 'nginx_start', rd, String(HTTPS_PORT)], { stdio: 'inherit', env: {
  ...process.env, REFUNDD_TLS_CERT: `${rd}/tls.crt`, REFUNDD_TLS_KEY: `${rd}/tls.key`,
  REFUNDD_HTTP_PORT: String(HTTP_PORT) } });
after(() => {
  execFileSync('bash', [LIB, 'nginx_stop', rd]);
  rmSync(rd, { recursive: true, force: true });
});

function get(path, opts = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: HTTPS_PORT, path, ca: CA,
      servername: 'localhost', ...opts }, (res) => {
      const tls = { protocol: res.socket.getProtocol(), cipher: res.socket.getCipher() };
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body, ...tls }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('HTTPS: the API and the pages, HSTS and the security headers, a trusted certificate', async () => {
  const me = await get('/api/v1/me', { headers: { Authorization: `Bearer ${token('tls-alice', 'customer')}` } });
  assert.equal(me.status, 200, me.body);
  assert.equal(JSON.parse(me.body).sub, 'tls-alice');
  assert.equal(me.headers['strict-transport-security'], 'max-age=63072000');
  assert.equal(me.headers['x-content-type-options'], 'nosniff');
  const page = await get('/');
  assert.equal(page.status, 200);
  assert.equal(page.headers['strict-transport-security'], 'max-age=63072000');
  assert.match(page.headers['content-security-policy'], /frame-ancestors 'none'/);
  // nginx's own problem answers keep them too
  const bad = await get('/api/v1/me%00');
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).code, 'bad_request');
  assert.equal(bad.headers['strict-transport-security'], 'max-age=63072000');
});

test('TLS 1.3 and 1.2 with forward-secret AEAD; 1.1 and non-forward-secret ciphers refused', async () => {
  const t13 = await get('/api/v1/health', { minVersion: 'TLSv1.3' });
  assert.equal(t13.protocol, 'TLSv1.3');
  const t12 = await get('/api/v1/health', { maxVersion: 'TLSv1.2' });
  assert.equal(t12.protocol, 'TLSv1.2');
  assert.match(t12.cipher.name, /^ECDHE-.*(GCM|CHACHA20)/);
  await assert.rejects(get('/api/v1/health', { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:AES256-GCM-SHA384' }),
    'RSA key exchange (no forward secrecy) refused');
  await assert.rejects(get('/api/v1/health', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' }),
    'CBC ciphers refused');
  await assert.rejects(get('/api/v1/health', { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'ALL:@SECLEVEL=0' }),
    'TLS 1.1 refused');
});

test('plain HTTP redirects to HTTPS, path and query kept', async () => {
  const r = await fetch(`http://127.0.0.1:${HTTP_PORT}/staff.html?lang=en`, { redirect: 'manual' });
  assert.equal(r.status, 301);
  assert.equal(r.headers.get('location'), `https://127.0.0.1:${HTTPS_PORT}/staff.html?lang=en`);
  const api = await fetch(`http://127.0.0.1:${HTTP_PORT}/api/v1/me`, { redirect: 'manual',
    headers: { Authorization: `Bearer ${token('tls-alice', 'customer')}` } });
  assert.equal(api.status, 301, 'nothing is served in clear, not even the API');
});

test('without a certificate nginx-render refuses plain HTTP beyond loopback', () => {
  const env = { ...process.env, NGINX_RUNDIR: rd, NGINX_WWW: rd, NGINX_UPSTREAM: 'unix:/x.sock' };
  const out = `${rd}/plain.conf`;
  const open = spawnSync(RENDER, [CONF, out], { env: { ...env, NGINX_LISTEN_HOST: '0.0.0.0' } });
  assert.notEqual(open.status, 0);
  assert.match(open.stderr.toString(), /in clear/);
  const loop = spawnSync(RENDER, [CONF, out], { env: { ...env, NGINX_LISTEN_HOST: '127.0.0.1' } });
  assert.equal(loop.status, 0, loop.stderr.toString());
  const text = readFileSync(out, 'utf8');
  assert.doesNotMatch(text, /^\s*(ssl_|listen .* ssl)/m, 'no TLS lines');
  assert.doesNotMatch(text, /^[^#]*@[A-Z_]+@/m, 'no placeholder left');
});

test('no token in nginx\'s or refundd\'s log, in a header, a query string or a Referer', async () => {
  const tok = token(`log-probe-${Date.now()}`, 'customer');
  const sig = tok.split('.')[2];
  const rid = `log-probe-${Date.now()}`;
  await api('GET', `/api/v1/me?access_token=${tok}`, { tok, headers: { 'X-Request-Id': rid, Referer: `https://portal.example/#token=${tok}&q=${tok}` } });
  await api('GET', `/api/v1/no-such-route?token=${tok}`, { tok, headers: { 'X-Request-Id': `${rid}-2` } });
  await get(`/api/v1/me?token=${tok}`, { headers: { Authorization: `Bearer ${tok}`, 'X-Request-Id': `${rid}-3` } });
  // nginx writes its access log line after the answer: wait for all three
  // lines (up to 5 s), then read.
  const read = () => ({ nginx: readFileSync(`${RUNDIR}/nginx-access.log`, 'utf8'),
    'nginx (TLS)': readFileSync(`${rd}/nginx-access.log`, 'utf8'),
    refundd: readFileSync(`${RUNDIR}/refundd.log`, 'utf8') });
  let logs = read();
  for (let i = 0; i < 100 && !(logs.nginx.includes(`rid=${rid}-2`) && logs['nginx (TLS)'].includes(`rid=${rid}-3`)); i++) {
    await sleep(50);
    logs = read();
  }
  assert.ok(logs.nginx.includes(`rid=${rid}`) && logs.nginx.includes(`rid=${rid}-2`), 'the requests were logged');
  assert.ok(logs['nginx (TLS)'].includes(`rid=${rid}-3`), 'the TLS request was logged');
  assert.ok(logs.refundd.includes(rid), 'refundd logged them too');
  for (const [name, text] of Object.entries(logs)) {
    assert.ok(!text.includes(sig), `${name}'s log holds a token signature`);
    assert.ok(!text.includes(tok.split('.')[1]), `${name}'s log holds a token payload`);
  }
});
