-- lighttpd-response.lua -- what conf/nginx.conf adds to every answer, for
-- lighttpd, as the mod_magnet response-start hook (conf/lighttpd.conf):
--   * the security headers (nginx's add_header ... always), on pages, API
--     answers and errors, including those lighttpd makes before a request
--     is routed (413), which mod_setenv's response headers would miss;
--   * under /api/, the request id on answers lighttpd makes itself, and a
--     problem+json body (DESIGN.md §8, "Errors") instead of lighttpd's HTML
--     page for a body over the limit, the rate limit, refundd down or slow.
-- scripts/lib.sh (lighttpd_start) renders @MAX_BODY@.

local r = lighty.r
local h = r.resp_header

h["Content-Security-Policy"] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
h["X-Content-Type-Options"] = "nosniff"
h["Referrer-Policy"] = "no-referrer"
h["X-Frame-Options"] = "DENY"

local uri = r.req_attr["request.orig-uri"] or ""
if uri:sub(1, 5) ~= "/api/" or h["X-Request-Id"] ~= nil then
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

local problems = {
    [413] = { "Payload too large", "payload_too_large", "the request body is over @MAX_BODY@ bytes" },
    [429] = { "Too many requests", "rate_limited", "too many requests from this address; slow down and retry" },
    [502] = { "Bad gateway", "upstream_unavailable", "the refund service is not answering; retry shortly" },
    [503] = { "Service unavailable", "upstream_unavailable", "the refund service is not answering; retry shortly" },
    [504] = { "Gateway timeout", "upstream_timeout", "the refund service did not answer in time" },
}
local p = problems[r.req_item.http_status]
if p == nil then return 0 end
local body = string.format(
    '{"type":"about:blank","title":"%s","status":%d,"code":"%s","detail":"%s","request_id":"%s"}',
    p[1], r.req_item.http_status, p[2], p[3], id)
h["Content-Type"] = "application/problem+json"
r.resp_body.set(body)
-- Returning the status marks the new body complete, so lighttpd sends it
-- with its Content-Length; after resp_body.set alone it would stream it
-- chunked and never end it.
return r.req_item.http_status
