-- manual: reset, trip or bypass by hand. ARGV[2..15] are the settings a
-- breaker made now gets (the built-in ones), ARGV[18] the kind (0 reset,
-- 1 trip, 2 bypass), ARGV[19] trip's duration in ms (0: until reset),
-- ARGV[20] the reason ("" for none). A reset never creates; a change that
-- changes nothing writes nothing (reset always clears the counters).
local env = make_env()
local limit = tonumber(ARGV[16])
local kind, for_ms, why = tonumber(ARGV[18]), tonumber(ARGV[19]), ARGV[20] or ''

local st, saved = load()
if st == false then
	return reply_missing('invalid', env, saved)
end
local created = false
if st == nil then
	if kind == 0 then
		return reply_missing('notfound', env)
	end
	local set = read_settings()
	st, saved, created = create(ARGV[1], set, env.now), saved_of(set), true
end

local tr = {}
local changed, write
if kind == 0 then
	-- With the breaker's own saved settings, as the SQLite store's reset.
	changed = breaker_reset(st, saved, env, tr)
	write = true
elseif kind == 1 then
	changed = breaker_trip(st, env, for_ms, why, tr)
	write = changed
else
	changed = breaker_bypass(st, why, tr)
	write = changed
end
if write or created then
	save(st, saved)
	if changed then
		add_history(env.now, tr, limit)
	end
end
return reply('ok', env, created, changed, tr, nil, 0, st, saved, nil)
