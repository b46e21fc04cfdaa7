// openapi.mjs -- docs/openapi.yaml as the API tests use it: the parsed
// document, and checkAnswer(), which validates a JSON answer against the
// schema of the operation and status code it belongs to (ajv, JSON Schema
// 2020-12, formats checked). lib.mjs's api() calls it on every answer, so
// every API test also proves the spec describes what refundd really sends.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export const SPEC_PATH = new URL('../../docs/openapi.yaml', import.meta.url).pathname;
export const spec = parse(readFileSync(SPEC_PATH, 'utf8'));

const SPEC_ID = 'https://refundd.invalid/openapi.yaml';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

// The whole document is registered once as a schema resource, so that
// "#/components/..." references resolve the way they do in the spec. Its
// top-level OpenAPI members are declared as (inert) vocabulary, which keeps
// ajv's strict mode on for the schemas themselves.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv);
ajv.addVocabulary(['openapi', 'info', 'servers', 'paths', 'components', 'security',
  'tags', 'webhooks', 'jsonSchemaDialect', 'externalDocs']);
ajv.addSchema({ ...spec, $id: SPEC_ID });

// Path templates as regular expressions; literal templates first, so that
// /audit/verify wins over a {param} at the same place.
const templates = Object.keys(spec.paths).map((t) => ({
  template: t,
  literal: !t.includes('{'),
  re: new RegExp('^' + t.split('/').map((seg) => (/^\{[^}]+\}$/.test(seg) ? '[^/]+'
    : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/') + '$'),
})).sort((a, b) => Number(b.literal) - Number(a.literal));

export function findOperation(method, path) {
  const bare = path.split('?')[0];
  const t = templates.find((x) => x.re.test(bare));
  if (!t) return null;
  const op = spec.paths[t.template][method.toLowerCase()];
  return op ? { template: t.template, op } : null;
}

const pointer = (...parts) => '#/' + parts.map((p) => String(p).replace(/~/g, '~0')
  .replace(/\//g, '~1')).join('/');

const compiled = new Map();
function validatorFor(ref) {
  let v = compiled.get(ref);
  if (!v) {
    v = ajv.compile({ $ref: SPEC_ID + ref });
    compiled.set(ref, v);
  }
  return v;
}

// The response object (and its JSON pointer) for a status: the exact code,
// then "4XX"-style ranges, then "default" (OpenAPI 3.1 §4.8.16).
function responseFor(opRef, op, status) {
  for (const key of [String(status), `${String(status)[0]}XX`, 'default']) {
    let r = op.responses?.[key];
    if (!r) continue;
    let ref = `${opRef}/responses/${key}`;
    if (r.$ref) {
      ref = r.$ref;
      r = ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce((o, p) => o[p], spec);
    }
    return { r, ref };
  }
  return null;
}

// The status each problem code is sent with, from the table in the
// description of ProblemCode: the table is checked, not just read.
export const codeStatus = Object.fromEntries([...spec.components.schemas.ProblemCode.description
  .matchAll(/^\| ([a-z0-9_]+) \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]));

// Unknown routes and methods (404/405 from the router) are answered with a
// problem too; they have no operation, so the Problem schema applies.
const PROBLEM_REF = '#/components/schemas/Problem';

// Throws (path, status and ajv's errors in the message) when a JSON answer
// does not match the spec. Non-JSON answers (CSV, metrics, nginx's own
// pages) have no JSON schema to check and are left alone.
export function checkAnswer(method, path, status, contentType, json) {
  const media = (contentType || '').split(';')[0].trim().toLowerCase();
  if (!/^application\/(problem\+)?json$/.test(media) || json === null) return;
  const fail = (why, errors) => {
    throw new Error(`OpenAPI: ${method} ${path} -> ${status} (${media}): ${why}` +
      (errors ? `\n${JSON.stringify(errors, null, 1)}` : '') +
      `\nbody: ${JSON.stringify(json).slice(0, 2000)}`);
  };
  const found = findOperation(method, path);
  let ref;
  if (!found) {
    if (media !== 'application/problem+json') fail('no operation in the spec for this request');
    ref = PROBLEM_REF;
  } else {
    const opRef = pointer('paths', found.template, method.toLowerCase());
    const resp = responseFor(opRef, found.op, status);
    if (!resp) fail(`status ${status} is not documented for ${found.template}`);
    if (!resp.r.content?.[media]) fail(`${media} is not documented for status ${status}`);
    ref = `${resp.ref}/content/${media.replace(/\//g, '~1')}/schema`;
  }
  const validate = validatorFor(ref);
  if (!validate(json)) fail(`does not match ${ref}`, validate.errors);
  if (media === 'application/problem+json') {
    if (json.status !== status) fail(`the problem's status ${json.status} is not the answer's`);
    // A database failure keeps the step's code but answers 5xx.
    const want = codeStatus[json.code];
    if (status < 500 && want !== status)
      fail(`code ${json.code} is documented with status ${want} (ProblemCode table)`);
  }
}

export { METHODS };
