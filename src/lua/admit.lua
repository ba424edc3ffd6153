-- admit: breaker_admit() on the breaker, taking a lease when the decision
-- needs one. ARGV[18] recorded (record's admission: only a change of state
-- is written, no lease, no bulkhead), ARGV[19] waiting (a bulkhead rejection
-- now will be retried: nothing written), ARGV[20] the lease's length in ms,
-- ARGV[21] the owner id "BOOTID:PIDNS:PID:STARTTIME". The one retry of a
-- call turned away by leases whose owners the client found dead on its own
-- host gives those leases as ARGV[23...], removed first, and ARGV[22] "1"
-- when the first try counted its rejection, which is then counted back: the
-- call counts once, as the SQLite store's pruning before deciding has it.
local env = make_env()
local set = read_settings()
local limit = tonumber(ARGV[16])
local recorded, waiting = ARGV[18] == '1', ARGV[19] == '1'
local lease_ms, owner = tonumber(ARGV[20]), ARGV[21]

-- Made even by record's admission: its outcome must find the generation
-- this decision stamped.
local st, saved, created = load_for_call(set, env.now)
if not st then
	return reply_missing('invalid', env, saved)
end

-- record's admission: the work is done, no bulkhead to wait at.
local dset = set
if recorded and set.max_concurrent ~= 0 then
	dset = read_settings()
	dset.max_concurrent = 0
end
for i = 23, #ARGV do
	redis.call('ZREM', KEYS[2], ARGV[i])
end
-- Not on a breaker this try made: the rejection counted was another's.
local back = ARGV[22] == '1' and not created and st.total_rejected > 0
if back then
	st.total_rejected = st.total_rejected - 1
end
local members
if leases_matter(st, dset, env) then
	members = count_leases(st, env.now)
end

local d = breaker_admit(st, dset, env)
local write = created
if recorded then
	write = write or d.transitioned
else
	write = write or not (waiting and d.reject == R_CONCURRENCY)
end
-- A count back is written even when this try writes nothing else (a
-- bulkhead wait), or the first try's rejection would be counted twice; this
-- try's own rejection, a wait, is not counted.
if back and not write then
	if not d.admitted then
		st.total_rejected = st.total_rejected - 1
	end
	write = true
end
local lease = 0
if write then
	if not recorded and d.admitted and (d.probe or set.max_concurrent ~= 0) then
		lease = redis.call('HINCRBY', KEYS[1], 'lease_seq', 1)
		redis.call('ZADD', KEYS[2], num(env.now + lease_ms),
			sformat('%d|%d|%s|%s', lease, d.probe and 1 or 0, num(d.generation), owner))
	end
	save(st, saved)
	if d.transitioned then
		add_history(env.now, d.tr, limit)
	end
end
if d.reject ~= R_CONCURRENCY and d.reject ~= R_HALF_OPEN_FULL then
	members = nil
end
return reply('ok', env, created, d.transitioned, d.tr, d, lease, st, saved, members)
