// sources.mjs -- what the C sources say the API is, read straight from
// fcgi/: the route table (routes.c) and every problem `code` refundd can
// answer with; and the problem answers nginx makes itself on /api/, read
// from conf/nginx.conf. openapi.test.mjs compares them with docs/openapi.yaml.
import { readFileSync, readdirSync } from 'node:fs';

const FCGI = new URL('../../fcgi/', import.meta.url).pathname;
const NGINX_CONF = new URL('../../conf/nginx.conf', import.meta.url).pathname;
const read = (f) => readFileSync(FCGI + f, 'utf8');
// Comments out, so an example in a comment is never taken for code.
const code = (f) => read(f).replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');

// { "GET", "/api/v1/orders/{id}", handler, ROLES, FLAGS, QUERY } rows of
// app_routes[]: roles as the macro names of routes.c, public when FLAGS
// has ROUTE_PUBLIC, body (and bodyOptional) from ROUTE_BODY(_OPTIONAL): a
// JSON object; rawBody from ROUTE_BODY_LARGE: a file of its own type;
// query: the names of QUERY ("limit cursor"; NULL: none).
export function routesFromC() {
  const src = code('routes.c');
  const table = src.slice(src.indexOf('app_routes[]'));
  return [...table.matchAll(/\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*\w+\s*,\s*([^,]+?)\s*,\s*([^,}]+?)\s*,\s*(NULL|"[^"]*")\s*\}/g)]
    .map(([, method, path, roles, flags, query]) => ({
      method, path,
      query: query === 'NULL' ? [] : query.slice(1, -1).split(' ').filter(Boolean),
      roles: roles.split('|').map((r) => r.replace(/[()\s]/g, '')).filter((r) => r && r !== '0'),
      public: /\bROUTE_PUBLIC\b/.test(flags),
      body: /\bROUTE_BODY\b/.test(flags),
      bodyOptional: /\bROUTE_BODY_OPTIONAL\b/.test(flags),
      rawBody: /\bROUTE_BODY_LARGE\b/.test(flags),
    }));
}

// The argument list of a call starting at text[open] == '(' (strings and
// nested parentheses respected), split at its top-level commas.
function callArgs(text, open) {
  const args = [];
  let depth = 0, cur = '', i = open;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      cur += text.slice(i, j + 1);
      i = j;
      continue;
    }
    if (ch === '(') { depth++; if (depth === 1) continue; }
    if (ch === ')') { depth--; if (depth === 0) break; }
    if (ch === ',' && depth === 1) { args.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  args.push(cur.trim());
  return args;
}

const literals = (s) => [...s.matchAll(/"([a-z0-9_]+)"/g)].map((m) => m[1]);

// An argument without its strcmp(...) tests: in `strcmp(cons, "x") == 0 ?
// "code_a" : "code_b"` only the two results are codes ("x" is a constraint).
function withoutComparisons(arg) {
  let m;
  while ((m = /\bstrn?cmp\s*\(/.exec(arg))) {
    let depth = 0, i = m.index + m[0].length - 1;
    for (; i < arg.length; i++) {
      if (arg[i] === '(') depth++;
      if (arg[i] === ')' && --depth === 0) break;
    }
    arg = arg.slice(0, m.index) + arg.slice(i + 1);
  }
  return arg;
}

function table(f, name) {
  const src = code(f);
  const start = src.indexOf(name);
  if (start < 0) throw new Error(`${name} not found in ${f}`);
  return src.slice(src.indexOf('{', src.indexOf('=', start)), src.indexOf('};', start));
}

// Codes come from three places: the third argument of app_fail() and
// app_fail_with() (a literal, or literals in a ?: choice); the default
// code of each error kind (http.c err_table); and the code tables whose
// entries reach a problem through validate_err_code() (validate.c) and
// refund_refusal_code() (refund_state.c). "ok" names success, not a problem.
// Returns code -> the statuses the C sources show it with (empty when the
// status is computed, e.g. the validation codes or `err` passed along).
export function problemCodeStatusesFromC() {
  const codes = new Map();
  const add = (c, status) => {
    if (!codes.has(c)) codes.set(c, new Set());
    if (status) codes.get(c).add(status);
  };
  const errStatus = Object.fromEntries([...table('http.c', 'err_table')
    .matchAll(/\[(ERR_[A-Z0-9_]+)\]\s*=\s*\{\s*(\d+)\s*,\s*"([a-z0-9_]+)"/g)]
    .map((m) => { add(m[3], Number(m[2])); return [m[1], Number(m[2])]; }));
  for (const f of readdirSync(FCGI).filter((n) => n.endsWith('.c'))) {
    const src = code(f);
    for (const m of src.matchAll(/\bapp_fail(?:_with)?\s*\(/g)) {
      const args = callArgs(src, m.index + m[0].length - 1);
      if (args.length < 4) continue;
      const kinds = [...args[1].matchAll(/\bERR_[A-Z0-9_]+\b/g)].map((k) => errStatus[k[0]]);
      // `err == ERR_CONFLICT ? ERR_VALIDATION : err`: only the chosen kind counts.
      const chosen = /==/.test(args[1]) ? kinds.slice(1) : kinds;
      for (const c of literals(withoutComparisons(args[2])))
        chosen.length ? chosen.forEach((st) => add(c, st)) : add(c, 0);
    }
  }
  literals(table('validate.c', 'err_codes[')).forEach((c) => add(c, 0));
  for (const m of table('refund_state.c', 'refusals[').matchAll(/\{\s*"([a-z0-9_]+)"\s*,\s*(\d+)/g))
    add(m[1], Number(m[2]));
  codes.delete('ok');
  return codes;
}

export const problemCodesFromC = () => [...problemCodeStatusesFromC().keys()].sort();

// nginx.conf without its comments (no '#' is inside a quoted string there).
const nginxConf = () => readFileSync(NGINX_CONF, 'utf8').replace(/(^|\s)#[^\n]*/g, '$1');

// The block of the first `location <match> {` (nested braces counted).
function nginxBlock(conf, match) {
  const start = conf.indexOf(`location ${match} {`);
  if (start < 0) throw new Error(`location ${match} not found in conf/nginx.conf`);
  let depth = 0;
  for (let i = conf.indexOf('{', start); i < conf.length; i++) {
    if (conf[i] === '{') depth++;
    if (conf[i] === '}' && --depth === 0) return conf.slice(start, i + 1);
  }
  throw new Error(`location ${match}: unbalanced braces`);
}

// The problem answers nginx writes itself: every location (named, or an
// internal "= /.problem/..." one) that returns a JSON text with a `code`.
// Returns [{ location, status, code }]; the JSON's own status must be the
// one returned, else the entry is reported with status NaN.
export function nginxProblems() {
  const conf = nginxConf();
  return [...conf.matchAll(/location\s+(@[\w]+|=\s*\S+)\s*\{[^{}]*?\breturn\s+(\d{3})\s+'([^']*)'/g)]
    .map(([, location, status, text]) => {
      const m = /"status":(\d{3}),"code":"([a-z0-9_]+)"/.exec(text);
      if (!m) return null;
      return { location, status: Number(m[1]) === Number(status) ? Number(status) : NaN, code: m[2] };
    }).filter(Boolean);
}

// The statuses nginx may answer any request on /api/ with itself: those of
// the problem locations the error_page directives inside `location /api/`
// (nested locations included) send to.
// The statuses nginx itself may answer on /api/: its location's error
// pages and the server-wide ones (a request it cannot parse, a header over
// its buffers), which reach /api/ paths too.
export function nginxApiStatuses() {
  const conf = nginxConf();
  const server = conf.replace(/^\s*location\b[^{]*\{[\s\S]*?^\s{8}\}/gm, '');
  const block = nginxBlock(conf, '/api/') + server;
  const byLocation = new Map(nginxProblems().map((p) => [p.location.replace(/^=\s*/, ''), p]));
  const statuses = new Set();
  for (const m of block.matchAll(/\berror_page\s+[\d\s]+?\s(@\w+|\/\S+?)\s*;/g)) {
    const p = byLocation.get(m[1]);
    if (!p) throw new Error(`error_page target ${m[1]} is not a problem location`);
    statuses.add(p.status);
  }
  return statuses;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(routesFromC().map((r) => `${r.method} ${r.path}`).join('\n'));
  console.log(problemCodesFromC().join('\n'));
  console.log(nginxProblems(), nginxApiStatuses());
}
