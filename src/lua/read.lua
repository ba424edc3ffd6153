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
count_members(st, members)
return reply('ok', env, false, false, {}, nil, 0, st, saved, members)
