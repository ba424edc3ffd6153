-- The server's clock, the only one the Redis store reads: every time of every
-- host's call (open periods, lease expiry, history, window buckets) is the
-- server's, so hosts whose clocks disagree still agree on the breaker.
-- The differential test replaces this definition, and only it (redis-scripts.c
-- exports it apart), to set the time itself: a shipped script never takes a
-- time from a client.
local function server_now()
	local t = redis.call('TIME')
	return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
