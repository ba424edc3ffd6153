-- read: one breaker, writing nothing, with its unexpired leases counted; the
-- members come along so that the client can leave out its own host's dead
-- owners, as the SQLite store's count of live leases does.
local env = make_env()
local st, saved = load()
if st == false then
	return reply_missing('invalid', env, saved)
end
if st == nil then
	return reply_missing('notfound', env)
end
local members = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. num(env.now), '+inf')
st.calls_inflight = #members
for _, m in ipairs(members) do
	local _, probe, gen = lease_parse(m)
	if probe and gen == st.generation then
		st.probes_inflight = st.probes_inflight + 1
	end
end
return reply('ok', env, false, false, {}, nil, 0, st, saved, members)
