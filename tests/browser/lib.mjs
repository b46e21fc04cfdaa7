// lib.mjs -- what every browser test file needs: the stack's address,
// tokens signed with the run's secret, a small API client for setting up
// data, Debian's Chromium, and the page helpers the tests share.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync, mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const BASE = process.env.REFUNDD_URL;
export const RUNDIR = process.env.REFUNDD_RUNDIR;
if (!BASE || !RUNDIR) throw new Error('run through scripts/test or tests/browser/run.sh (REFUNDD_URL, REFUNDD_RUNDIR)');
const SECRET = readFileSync(`${RUNDIR}/jwt-secret`, 'utf8').trim();
// Default: inside this run's own folder, which is always ours to write.
export const SHOTS = process.env.REFUNDD_SHOTS || `${RUNDIR}/screenshots`;
mkdirSync(SHOTS, { recursive: true });
export const DAY = 86400;
export const nowS = () => Math.floor(Date.now() / 1000);
export const iso = (unixS) => new Date(unixS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const b64url = (s) => Buffer.from(s).toString('base64url');
/* An HS256 token; iat and exp from now + the given offsets (seconds). */
export function token(sub, role, ttl = 1800, { iatOffset = 0 } = {}) {
  const now = nowS();
  const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify({ sub, role, iat: now + iatOffset, exp: now + ttl }))}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}
/* Expired an hour ago. */
export const expiredToken = (sub, role) => token(sub, role, -3600, { iatOffset: -7200 });

/* The API, for setting data up: JSON bodies, or raw bytes of a type. */
export async function api(method, path, { tok, body, key, raw, type } = {}) {
  const headers = {};
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (raw !== undefined) headers['Content-Type'] = type;
  if (key) headers['Idempotency-Key'] = key;
  const res = await fetch(BASE + path, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: res.status, json, text };
}
/* The answer's JSON, after checking its status. */
export async function ok(promise, status) {
  const r = await promise;
  assert.equal(r.status, status, r.text);
  return r.json;
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
}

/* A fresh context (empty sessionStorage and localStorage) and a page that
 * records console errors and uncaught exceptions (problems) and CSP
 * violations (csp()). options: the context's own (viewport, timezoneId,
 * bypassCSP -- only for the accessibility audit, which injects axe-core --
 * acceptDownloads), and lang, the pages' language. */
export async function watchedPage(browser, { lang, ...options } = {}) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN', ...options });
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  if (lang) await context.addInitScript((l) => localStorage.setItem('refundd.lang', l), lang);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return { context, page, problems, csp: () => page.evaluate(() => window.__csp) };
}

/* Waits until the selector's text matches; on timeout, says what it was. */
export async function waitText(page, selector, re, timeout = 10000) {
  try {
    await page.waitForFunction(([s, src, flags]) => {
      const el = document.querySelector(s);
      return !!el && new RegExp(src, flags).test(el.textContent);
    }, [selector, re.source, re.flags], { timeout });
  } catch (e) {
    const now = await page.evaluate((s) => document.querySelector(s)?.textContent ?? '(no element)', selector);
    throw new Error(`${selector} never matched ${re}: it shows ${JSON.stringify(now.trim().slice(0, 400))}`);
  }
}
export async function text(page, selector) {
  return (await page.locator(selector).first().textContent()).replace(/\s+/g, ' ').trim();
}

export async function signIn(page, tok) {
  await page.fill('#token-input', tok);
  await page.click('#token-form button[type=submit]');
  await page.locator('#who').waitFor({ state: 'visible' });
}

// A queue reload that lands just after the click (a filter's request still in
// flight) re-renders the list; under load that can swallow the click, so
// the click is tried again, at most three times.
export async function openRefund(page, id) {
  for (let attempt = 1; ; attempt++) {
    await page.click(`button[data-action="open"][data-refund="${id}"]`);
    try {
      await waitText(page, '#detail-h', new RegExp(`#${id}\\b`), 8000);
      return;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}
