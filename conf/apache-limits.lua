-- apache-limits.lua -- what conf/nginx.conf does in nginx's own config
-- language and Apache needs Lua for (conf/apache.conf):
--   request_id  the quick handler: the request id, before anything else;
--   limit       the access checker of /api/: the body size (413 for a
--               Content-Length over @MAX_BODY@ bytes, 5 MiB on the evidence
--               upload route) and the rate limit (limit_req, per client
--               address, @RATE@ requests a second with a burst of @BURST@,
--               429 past it).
-- scripts/lib.sh (apache_start) renders the @NAME@ values.
--
-- Why the body size here too: LimitRequestBody acts only once someone reads
-- the body, and refundd may answer (401, 405) before reading it, so a 70 kB
-- POST got refundd's 405 where nginx answers 413 from the header alone.
--
-- Why Lua: Apache 2.4 has no request-rate limit of its own (mod_ratelimit
-- limits bandwidth); the third-party modules that have one add a dependency
-- (mod_qos) or answer 403 and block the address for a while (mod_evasive).
-- The buckets live in this VM's globals: conf/apache.conf runs one child
-- process (ServerLimit 1) and one Lua VM for it (LuaScope server 1 1), so
-- every request of the server sees the same table. That one VM serialises
-- these checks, which are a few table operations.
require "apache2"

local RATE = @RATE@        -- requests a second that drain the bucket
local BURST = @BURST@      -- requests over the rate allowed at once
local MAX_CLIENTS = 10000  -- past this many addresses, forget drained ones
local MAX_BODY = @MAX_BODY@

buckets = buckets or {}    -- address -> { excess, last µs }
nclients = nclients or 0

-- nginx's leaky bucket (ngx_http_limit_req_module): the excess drains at
-- RATE per second; a request that would take it above BURST is refused and
-- does not count.
local function sweep(now)
    for addr, b in pairs(buckets) do
        if b[1] - (now - b[2]) * RATE / 1e6 <= 0 then
            buckets[addr] = nil
            nclients = nclients - 1
        end
    end
end

-- The request id (conf/apache.conf, the quick handler): the client's when
-- it is one refundd would keep (1-63 of [A-Za-z0-9._-], fcgi/server.c),
-- else a new one, so the id Apache's own problems quote is safe inside their
-- JSON. mod_unique_id's id has '@', so its md5 (32 hex digits, the shape of
-- refundd's ids) is used.
function request_id(r)
    local given = r.headers_in["X-Request-Id"]
    if given == nil or #given > 63 or not given:match("^[%w._-]+$") then
        r.headers_in["X-Request-Id"] = r:md5(r.subprocess_env["UNIQUE_ID"] or tostring(r:clock()))
    end
    return apache2.DECLINED
end

-- Evidence uploads and provider statements take up to 5 MiB
-- (conf/apache.conf); every other route
-- MAX_BODY.
local function max_body(r)
    if r.uri:match("^/api/v1/refunds/[^/]+/attachments$") then return 5242880 end
    if r.uri == "/api/v1/provider-claims/statements" then return 5242880 end
    return MAX_BODY
end

function limit(r)
    local length = tonumber(r.headers_in["Content-Length"] or "0")
    if length == nil or length > max_body(r) then
        return 413
    end
    local now = r:clock()
    local addr = r.useragent_ip
    local b = buckets[addr]
    if b == nil then
        if nclients >= MAX_CLIENTS then sweep(now) end
        b = { 0, now }
        buckets[addr] = b
        nclients = nclients + 1
    end
    local excess = b[1] - (now - b[2]) * RATE / 1e6
    if excess < 0 then excess = 0 end
    -- as nginx: BURST + 1 requests at once (its first one counts as 0)
    if excess > BURST then
        return 429
    end
    b[1] = excess + 1
    b[2] = now
    return apache2.DECLINED
end
