-- release: gives a lease back and records nothing. ARGV[2] the lease id and
-- ARGV[3] its owner (cbexec could not start the command). Returns how many
-- leases went.
local id = tonumber(ARGV[2]) or 0
if id == 0 then
	return 0
end
return release_lease(id, ARGV[3])
