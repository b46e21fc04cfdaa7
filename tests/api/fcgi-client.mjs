// fcgi-client.mjs -- one FastCGI request straight to a refundd socket, for
// tests that run a refundd of their own (another database, other settings)
// with no nginx in front. Speaks just enough of FastCGI 1.0: a responder
// request, its params, an empty stdin; reads stdout to END_REQUEST.
import { connect } from 'node:net';

const VERSION = 1, BEGIN = 1, END = 3, PARAMS = 4, STDIN = 5, STDOUT = 6, RESPONDER = 1;

function record(type, content = Buffer.alloc(0)) {
  const head = Buffer.alloc(8);
  head.writeUInt8(VERSION, 0);
  head.writeUInt8(type, 1);
  head.writeUInt16BE(1, 2);                 // request id
  head.writeUInt16BE(content.length, 4);
  return Buffer.concat([head, content]);
}

function length(n) {
  if (n < 128) return Buffer.from([n]);
  const b = Buffer.alloc(4);
  b.writeUInt32BE((n | 0x80000000) >>> 0);
  return b;
}

function params(env) {
  return Buffer.concat(Object.entries(env).flatMap(([k, v]) => {
    const name = Buffer.from(k), value = Buffer.from(String(v));
    return [length(name.length), length(value.length), name, value];
  }));
}

// GET/POST path?query with a bearer token; resolves { status, headers, text, json }.
export function fcgiRequest(socket, method, uri, { tok, timeoutMs = 60000 } = {}) {
  const env = { REQUEST_METHOD: method, REQUEST_URI: uri, SCRIPT_NAME: uri.split('?')[0],
    QUERY_STRING: uri.includes('?') ? uri.slice(uri.indexOf('?') + 1) : '', CONTENT_LENGTH: '',
    REMOTE_ADDR: '127.0.0.1', SERVER_PROTOCOL: 'HTTP/1.1' };
  if (tok) env.HTTP_AUTHORIZATION = `Bearer ${tok}`;
  const begin = Buffer.alloc(8);
  begin.writeUInt16BE(RESPONDER, 0);
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    const timer = setTimeout(() => conn.destroy(new Error(`no FastCGI answer in ${timeoutMs} ms`)), timeoutMs);
    let buf = Buffer.alloc(0), out = Buffer.alloc(0), done = false;
    conn.on('connect', () => conn.write(Buffer.concat([record(BEGIN, begin), record(PARAMS, params(env)),
      record(PARAMS), record(STDIN)])));
    conn.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8) {
        const len = buf.readUInt16BE(4), pad = buf.readUInt8(6);
        if (buf.length < 8 + len + pad) break;
        const type = buf.readUInt8(1), content = buf.subarray(8, 8 + len);
        buf = buf.subarray(8 + len + pad);
        if (type === STDOUT) out = Buffer.concat([out, content]);
        if (type === END) done = true;
      }
      if (done) conn.end();
    });
    conn.on('error', (e) => { clearTimeout(timer); reject(e); });
    conn.on('close', () => {
      clearTimeout(timer);
      if (!done) return reject(new Error('FastCGI connection closed before END_REQUEST'));
      const text = out.toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = text.slice(0, split), body = text.slice(split + 4);
      const headers = Object.fromEntries(head.split('\r\n').map((l) => {
        const i = l.indexOf(':');
        return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
      }));
      const status = Number((headers.status || '200').split(' ')[0]);
      let json = null;
      try { json = JSON.parse(body); } catch { /* not JSON */ }
      resolve({ status, headers, text: body, json });
    });
  });
}
