-- renew.lua: extends an open lease by its duration from now: the lease record and its slot in every concurrency set.
-- All or nothing: a slot that already expired is lost (it may have been given to someone else) and nothing is renewed.
-- KEYS and ARGV as acquire.lua:
-- KEYS[1]       the lease record; KEYS[1 + i] the state key of limit i, in policy order
-- ARGV[1]       lease id; ARGV[2] lease duration (us); ARGV[3] unused; ARGV[4] n; ARGV[5] unused
-- ARGV[3 + 3i]  kind of limit i (a and b unused)
-- ARGV[6 + 3n]  optional: now (us) from the client's measured server-clock offset; empty or absent = read TIME
-- Returns 1 = renewed, 0 = lease unknown, expired, already settled, or a slot lost
local now
if ARGV[6 + 3 * tonumber(ARGV[4])] and ARGV[6 + 3 * tonumber(ARGV[4])] ~= '' then
  now = tonumber(ARGV[6 + 3 * tonumber(ARGV[4])])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local lease_id = ARGV[1]
local lease_us = tonumber(ARGV[2])
local n = tonumber(ARGV[4])
local function num(x) return string.format('%.0f', x) end
local function ms(us) local v = math.ceil(us / 1000) if v < 1 then v = 1 end return v end

local state = redis.call('HGET', KEYS[1], 's')
if state ~= '0' then return 0 end
for i = 1, n do
  if ARGV[3 + 3 * i] == 'c' then
    local score = redis.call('ZSCORE', KEYS[1 + i], lease_id)
    if not score or tonumber(score) <= now then return 0 end
  end
end
for i = 1, n do
  if ARGV[3 + 3 * i] == 'c' then
    local key = KEYS[1 + i]
    redis.call('ZADD', key, 'XX', num(now + lease_us), lease_id)
    if redis.call('PTTL', key) < ms(lease_us) then redis.call('PEXPIRE', key, ms(lease_us)) end
  end
end
redis.call('PEXPIRE', KEYS[1], ms(lease_us))
return 1
