-- lighttpd-response.lua -- what conf/nginx.conf adds to every answer, for
-- lighttpd, as the mod_magnet response-start hook (conf/lighttpd.conf):
--   * the security headers (nginx's add_header ... always), on pages, API
--     answers and errors, including those lighttpd makes before a request
--     is routed (413), which mod_setenv's response headers would miss;
--   * under /api/, the request id on answers lighttpd makes itself, and a
--     problem+json body (DESIGN.md §8, "Errors") instead of lighttpd's HTML
--     page for a body over the limit, the rate limit, refundd down or slow.
-- scripts/lib.sh (lighttpd_start) renders @API_TIMEOUT@.

local API_TIMEOUT = @API_TIMEOUT@   -- seconds, fastcgi.server "read-timeout"

local r = lighty.r
local h = r.resp_header

-- The policy joins one refundd sent ("sandbox" on evidence downloads) as
-- a second one, which the browser enforces too (nginx adds its header the
-- same way).
local CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
local given_csp = h["Content-Security-Policy"]
h["Content-Security-Policy"] = (given_csp and given_csp ~= "") and (given_csp .. ", " .. CSP) or CSP
h["X-Content-Type-Options"] = "nosniff"
h["Referrer-Policy"] = "no-referrer"
h["X-Frame-Options"] = "DENY"

-- What lighttpd refuses before it knows the path (a request line or
-- headers too long, an unknown Transfer-Encoding, HTTP version) is a
-- problem for the whole site, as nginx answers it.
local status = r.req_item.http_status
local before_routing = { [400] = true, [431] = true, [501] = true, [505] = true }
local uri = r.req_attr["request.orig-uri"] or ""
if (uri:sub(1, 5) ~= "/api/" and not before_routing[status]) or h["X-Request-Id"] ~= nil then
    return 0   -- a page, or an answer of refundd (it sets the id itself)
end

-- The id conf/lighttpd-limits.lua checked or made; a request refused
-- before that hook ran (413) gets one here.
local id = r.req_header["X-Request-Id"]
if id == nil or #id > 63 or not id:match("^[%w._-]+$") then
    local s, ns = lighty.c.hrtime()
    id = lighty.c.md("md5", table.concat({ lighty.c.rand(), lighty.c.rand(), s, ns }, ":")):lower()
end
h["X-Request-Id"] = id

-- conf/nginx.conf's texts and codes; 400 and 404 are lighttpd refusing a
-- request it cannot parse or a path it will not map (%00), before refundd.
local attachment = uri:match("^/api/v1/refunds/[^/?]+/attachments") ~= nil
    or uri:match("^/api/v1/provider%-claims/statements") ~= nil
local problems = {
    [400] = { "Bad Request", "bad_request", "the request could not be parsed" },
    -- lighttpd's 431 covers a long request line as well as long headers;
    -- nginx answers a long header 400 bad_request, and so does this.
    [431] = { "Bad Request", "bad_request", "the request line or a header is longer than the server accepts" },
    [501] = { "Not Implemented", "not_implemented", "the server does not know this Transfer-Encoding; send the body with Content-Length or chunked" },
    [505] = { "HTTP Version Not Supported", "http_version_not_supported", "speak HTTP/1.1 (or 1.0) to this server" },
    [404] = { "Not found", "not_found", "no such resource" },
    [413] = { "Content Too Large", "body_too_large", attachment
              and "a file may have at most 5 MiB (5242880 bytes)"
              or "the request body is larger than this route accepts" },
    [429] = { "Too Many Requests", "rate_limited", "too many requests from this address; wait a second and retry" },
    [502] = { "Bad Gateway", "upstream_unavailable", "refundd is not reachable; retry shortly (with the same Idempotency-Key for writes)" },
    [503] = { "Service Unavailable", "upstream_unavailable", "refundd is not reachable; retry shortly (with the same Idempotency-Key for writes)" },
    [504] = { "Gateway Timeout", "upstream_timeout", "refundd did not answer in time; the request may have been applied: retry with the same Idempotency-Key" },
}
-- mod_fastcgi answers a read timeout (nginx's 504) as it answers refundd
-- gone, 503: an answer that took the whole read-timeout is the timeout.
if status == 503 or status == 502 then
    local s0, ns0 = r.req_item.start_time()
    local s1, ns1 = lighty.c.hrtime()
    if (s1 - s0) + (ns1 - ns0) / 1e9 >= API_TIMEOUT then status = 504 end
end
local p = problems[status]
if p == nil then return 0 end
if status == 431 then status = 400 end
local body = string.format(
    '{"type":"about:blank","title":"%s","status":%d,"code":"%s","detail":"%s","request_id":"%s"}',
    p[1], status, p[2], p[3], id)
h["Content-Type"] = "application/problem+json"
r.resp_body.set(body)
-- Returning the status marks the new body complete, so lighttpd sends it
-- with its Content-Length; after resp_body.set alone it would stream it
-- chunked and never end it.
return status
