-- release: gives leases back and records nothing. ARGV[2] a lease id and
-- ARGV[3] its owner (cbexec could not start the command), then any number of
-- whole members (leases of this host's dead owners, found by the client).
-- Returns how many leases went.
local n = 0
local id = tonumber(ARGV[2]) or 0
if id ~= 0 then
	n = release_lease(id, ARGV[3])
end
for i = 4, #ARGV do
	n = n + redis.call('ZREM', KEYS[2], ARGV[i])
end
return n
