-- delete: forgets the breaker, its leases and its history. The generation
-- counter is raised to the deleted breaker's generation first, so that one
-- made again under the name starts above it and no call admitted before the
-- delete can drive it (the SQLite store's generation floor). A name left in
-- the index without its hash (evicted, removed by hand) goes too. Returns 1,
-- or 0 for an unknown breaker.
local g = tonumber(redis.call('HGET', KEYS[1], 'generation'))
local existed = redis.call('EXISTS', KEYS[1]) == 1
if g and g > (tonumber(redis.call('GET', KEYS[5])) or 0) then
	redis.call('SET', KEYS[5], num(g))
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
if redis.call('SREM', KEYS[4], ARGV[1]) == 1 or existed then
	return 1
end
return 0
