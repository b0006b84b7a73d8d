-- abort.lua: undoes an acquire whose answer the client never received (it timed out, was cancelled or failed on the client)
-- but which may have run here. The client chose the lease id, so it can name the acquire it gave up on. If the acquire ran
-- and granted a lease that is still open, everything it applied is given back: the whole reservation to each quota window
-- it was charged to (as settle.lua refunds), one emission to each rate limit, and the slot in each concurrency set. In every
-- case the lease record becomes a tombstone (s = x) for one lease duration, so that the acquire, should it arrive after this
-- (another connection, a reconnect), is refused by acquire.lua. settle.lua and release.lua see no reservation in a tombstone
-- (NotFound) and renew.lua refuses it. Idempotent: a repeated abort finds the tombstone and changes nothing.
-- KEYS and ARGV as acquire.lua:
-- KEYS[1]       the lease record; KEYS[1 + i] the state key of limit i, in policy order
-- ARGV[1]       lease id; ARGV[2] lease duration (us): how long the tombstone is kept; ARGV[3] unused; ARGV[4] n; ARGV[5] unused
-- ARGV[3 + 3i], ARGV[4 + 3i], ARGV[5 + 3i]   limit i: kind, a, b (see acquire.lua)
-- ARGV[6 + 3n]  optional: now (us) from the client's measured server-clock offset; empty or absent = read TIME
-- Returns { outcome, refunded }: outcome 0 = nothing to undo (the acquire had not run, was denied, or its lease already
-- expired), 1 = undone now, 2 = aborted before, 3 = the lease was settled or released (its holder had it): nothing undone.
-- refunded = the reservation given back to the quotas (outcome 1), else 0.
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

local lease = redis.call('HMGET', KEYS[1], 'c', 's')
if lease[2] == 'x' then return { 2, 0 } end
if lease[2] == '1' then return { 3, 0 } end

local outcome, refunded = 0, 0
if lease[1] and lease[2] == '0' then
  local reserved = tonumber(lease[1])
  for i = 1, n do
    local kind, a, b = ARGV[3 + 3 * i], tonumber(ARGV[4 + 3 * i]), tonumber(ARGV[5 + 3 * i])
    local key = KEYS[1 + i]
    if kind == 'c' then
      redis.call('ZREM', key, lease_id)
    elseif kind == 'r' then
      -- GCRA: one emission less. A TAT at or before now means a full bucket, which is what no key means.
      local tat = tonumber(redis.call('GET', key) or '0') - a
      if tat > now then redis.call('SET', key, num(tat), 'PX', ms(tat - now)) else redis.call('DEL', key) end
    elseif (kind == 'f' or kind == 's') and reserved > 0 then
      -- As settle.lua refunds: only into the window the reservation went to; a window that has ended is not brought back.
      local charged_w = tonumber(redis.call('HGET', KEYS[1], 'w' .. i))
      local w = tonumber(redis.call('HGET', key, 'w') or '-1')
      local field = nil
      if charged_w == nil then field = nil
      elseif w == charged_w then field = 'u'
      elseif kind == 's' and w == charged_w + 1 then field = 'p' end
      if field then
        local used = tonumber(redis.call('HGET', key, field) or '0') - reserved
        if used < 0 then used = 0 end
        redis.call('HSET', key, field, num(used))
      end
    end
  end
  outcome, refunded = 1, reserved
end

redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 's', 'x')
redis.call('PEXPIRE', KEYS[1], ms(lease_us))
return { outcome, refunded }
