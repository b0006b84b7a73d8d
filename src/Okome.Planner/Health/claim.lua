-- KEYS[1]: the probe lease. ARGV[1]: the round number; ARGV[2]: how long to keep the lease (ms).
-- Returns 1 when this caller won the round, 0 when the round (or a later one) was already claimed.
local last = redis.call('GET', KEYS[1])
if last and tonumber(last) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
