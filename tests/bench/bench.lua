-- tests/bench/bench.lua -- run.sh's wrk script for the requests that change
-- from one to the next (the fixed ones go without a request() function,
-- which keeps wrk out of Lua). Arguments after `--`: MODE WRK_THREADS, then
--   detail FIRST LAST             GET /api/v1/refunds/{random id in FIRST..LAST}
--   approve FIRST LAST            POST /api/v1/refunds/{id}/approve, each id once
--   payout FIRST LAST             POST /api/v1/refunds/{id}/payout, each id once
--   submit TOKENS ACCOUNTS KBASE  POST /api/v1/refunds: account a (token on line
--                                   a+1 of TOKENS) submits order BS-a-k with
--                                   Idempotency-Key bench-a-k, k = KBASE, KBASE+1, ...
-- the requests are made here. Several wrk threads interleave the ids or
-- share the accounts out (setup() numbers the threads), so no two
-- requests of a run act on the same refund or order, and the requests in
-- flight of one thread go to different accounts (a submission holds its
-- account's lock). The bearer token of the URL's -H applies to detail,
-- approve and payout; submit sends each account's own.
-- done() prints one line run.sh parses: requests, duration (us), p50, p99
-- (us), socket errors (connect, read, write), non-2xx/3xx, timeouts.

local counter = 0

function setup(thread)
	thread:set("tid", counter)
	counter = counter + 1
end

local mode, lo, hi, n, step = nil, 0, 0, 0, 1
local tokens, span, base, kbase = {}, 0, 0, 0
local body = "{}"
local json = {}   -- wrk.format replaces wrk.headers (the -H token) with these

function init(args)
	mode = args[1]
	local nthreads = tonumber(args[2])
	math.randomseed(os.time() * 1000 + tid)
	for k, v in pairs(wrk.headers) do json[k] = v end
	json["Content-Type"] = "application/json"
	if mode == "detail" or mode == "approve" or mode == "payout" then
		lo, hi = tonumber(args[3]), tonumber(args[4])
		step = nthreads
	elseif mode == "submit" then
		for line in io.lines(args[3]) do table.insert(tokens, line) end
		local accounts = tonumber(args[4])
		kbase = tonumber(args[5])
		span = math.floor(accounts / nthreads)
		base = tid * span
	end
end

request = function()
	if mode == "detail" then
		return wrk.format("GET", "/api/v1/refunds/" .. math.random(lo, hi))
	end
	if mode == "approve" or mode == "payout" then
		-- interleaved (thread t: lo + t, lo + t + T, ...): what one run used
		-- is nearly a prefix of the pool, and the next run starts after it
		local id = lo + tid + n * step
		n = n + 1
		if id > hi then id = hi end -- pool exhausted: 409s, reported as failures
		return wrk.format("POST", "/api/v1/refunds/" .. id .. "/" .. mode, json, body)
	end
	local a = base + n % span
	local k = kbase + math.floor(n / span)
	n = n + 1
	return wrk.format("POST", "/api/v1/refunds", {
		["Content-Type"] = "application/json",
		["Authorization"] = "Bearer " .. tokens[a + 1],
		["Idempotency-Key"] = "bench-" .. a .. "-" .. k,
	}, '{"order_id":"BS-' .. a .. "-" .. k ..
	   '","reason_code":"changed_mind","payout_method":"original_route"}')
end

done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("BENCH %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n",
		summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
		e.connect, e.read, e.write, e.status, e.timeout))
end
