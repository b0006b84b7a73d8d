-- release.lua: ends a lease that was not settled, settling it by policy: the reservation stays charged (a holder that
-- never reported its actual cost pays its estimate) and its concurrency slots are freed. Idempotent, like settle.lua.
-- KEYS and ARGV as acquire.lua:
-- KEYS[1]       the lease record; KEYS[1 + i] the state key of limit i, in policy order
-- ARGV[1]       lease id; ARGV[2] lease duration (us): how long the released record is kept to recognise retries
-- ARGV[3]       unused; ARGV[4] n; ARGV[5] unused; ARGV[3 + 3i] kind of limit i (a and b unused)
-- Returns { outcome, charged }: outcome 0 = no such lease (expired or unknown), 1 = released now, 2 = settled before
local lease_us = tonumber(ARGV[2])
local n = tonumber(ARGV[4])
local function ms(us) local v = math.ceil(us / 1000) if v < 1 then v = 1 end return v end

local lease = redis.call('HMGET', KEYS[1], 'c', 's', 'a')
if not lease[1] then return { 0, 0 } end
if lease[2] == '1' then return { 2, tonumber(lease[3]) } end

for i = 1, n do
  if ARGV[3 + 3 * i] == 'c' then redis.call('ZREM', KEYS[1 + i], ARGV[1]) end
end

redis.call('HSET', KEYS[1], 's', '1', 'a', lease[1])
redis.call('PEXPIRE', KEYS[1], ms(lease_us))
return { 1, tonumber(lease[1]) }
