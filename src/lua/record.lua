-- record: breaker_record() of a call's outcome, giving its lease back.
-- ARGV[18] outcome (0 success, 1 failure, 2 ignored), ARGV[19] exit code
-- (-1: recorded by hand), ARGV[20] timed out, ARGV[21] slow, ARGV[22]
-- bypassed, ARGV[23] the generation admission stamped, ARGV[24] timed,
-- ARGV[25] duration in ms, ARGV[26] the lease (0: none), ARGV[27] the owner.
local env = make_env()
local set = read_settings()
local limit = tonumber(ARGV[16])
local call = { outcome = tonumber(ARGV[18]), exit_code = tonumber(ARGV[19]),
	timed_out = ARGV[20] == '1', slow = ARGV[21] == '1', bypassed = ARGV[22] == '1',
	generation = tonumber(ARGV[23]), timed = ARGV[24] == '1', duration = tonumber(ARGV[25]) }
local lease, owner = tonumber(ARGV[26]), ARGV[27]

local st, saved, created = load_for_call(set, env.now)
if not st then
	return reply_missing('invalid', env, saved)
end
if lease ~= 0 then
	release_lease(lease, owner)
	redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', num(env.now))
end

local tr = {}
local transitioned = breaker_record(st, set, env, call, tr)
save(st, saved)
if transitioned then
	add_history(env.now, tr, limit)
end
return reply('ok', env, created, transitioned, tr, nil, 0, st, saved, nil)
