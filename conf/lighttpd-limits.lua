-- lighttpd-limits.lua -- the rate limit of conf/nginx.conf for lighttpd,
-- and the request id, as the mod_magnet raw-url hook of /api/
-- (conf/lighttpd.conf): nginx's limit_req, per client address, @RATE@
-- requests a second with a burst of @BURST@, 429 past it.
-- scripts/lib.sh (lighttpd_start) renders the @NAME@ values.
--
-- The buckets live in the global table of this script's Lua state, which
-- lighttpd keeps between requests (one process, one thread; mod_magnet
-- clears only the per-run environment, so they are reached through _G).

local RATE = @RATE@        -- requests a second that drain the bucket
local BURST = @BURST@      -- requests over the rate allowed at once
local MAX_CLIENTS = 10000  -- past this many addresses, forget drained ones

local G = _G
G.refundd_buckets = G.refundd_buckets or {}   -- address -> { excess, last s }
G.refundd_nclients = G.refundd_nclients or 0
local buckets = G.refundd_buckets

local r = lighty.r

-- The request id: the client's when it is one refundd would keep (1-63 of
-- [A-Za-z0-9._-], fcgi/server.c), else 32 random hex digits, the shape of
-- refundd's own. Set before anything can refuse the request, so lighttpd's
-- own problems (conf/lighttpd-response.lua) quote the same id.
local given = r.req_header["X-Request-Id"]
if given == nil or #given > 63 or not given:match("^[%w._-]+$") then
    local s, ns = lighty.c.hrtime()
    local seed = table.concat({ lighty.c.rand(), lighty.c.rand(), s, ns,
        r.req_attr["request.remote-port"] or "" }, ":")
    r.req_header["X-Request-Id"] = lighty.c.md("md5", seed):lower()
end

local function now()
    local s, ns = lighty.c.hrtime()
    return s + ns / 1e9
end

local function sweep(t)
    for addr, b in pairs(buckets) do
        if b[1] - (t - b[2]) * RATE <= 0 then
            buckets[addr] = nil
            G.refundd_nclients = G.refundd_nclients - 1
        end
    end
end

-- nginx's leaky bucket (ngx_http_limit_req_module): the excess drains at
-- RATE per second; a request that would take it above BURST is refused and
-- does not count.
local t = now()
local addr = r.req_attr["request.remote-addr"]
local b = buckets[addr]
if b == nil then
    if G.refundd_nclients >= MAX_CLIENTS then sweep(t) end
    b = { 0, t }
    buckets[addr] = b
    G.refundd_nclients = G.refundd_nclients + 1
end
local excess = b[1] - (t - b[2]) * RATE
if excess < 0 then excess = 0 end
-- as nginx: BURST + 1 requests at once (its first one counts as 0)
if excess > BURST then
    return 429
end
b[1] = excess + 1
b[2] = t
return 0
