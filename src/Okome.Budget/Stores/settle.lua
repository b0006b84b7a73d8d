-- settle.lua: settles a lease with the actual cost. Quotas are corrected by (actual - reserved): a refund goes back to the
-- window the reservation was charged to (if that window still exists), an overrun is charged to the current window even
-- beyond the limit (the partition is then in debt and denied until the window rolls over). Concurrency slots are freed.
-- Idempotent: the lease record remembers that it was settled, so a retried settle changes nothing.
-- KEYS and ARGV as acquire.lua:
-- KEYS[1]       the lease record (hash: c = reserved cost, s = 1 once settled, a = charged cost, w<i> = window of quota i)
-- KEYS[1 + i]   the state key of limit i, in policy order
-- ARGV[1]       lease id; ARGV[2] lease duration (us): how long the settled record is kept to recognise retries
-- ARGV[3]       the actual cost, >= 0; ARGV[4] n; ARGV[5] unused
-- ARGV[3 + 3i], ARGV[4 + 3i], ARGV[5 + 3i]   limit i: kind, a, b (see acquire.lua)
-- ARGV[6 + 3n]  optional: now (us) from the client's measured server-clock offset; empty or absent = read TIME
-- Returns { outcome, charged }: outcome 0 = no such lease (expired or unknown), 1 = settled now, 2 = settled before
local lease_id = ARGV[1]
local lease_us = tonumber(ARGV[2])
local actual = tonumber(ARGV[3])
local n = tonumber(ARGV[4])

local function num(x) return string.format('%.0f', x) end
local function ms(us) local v = math.ceil(us / 1000) if v < 1 then v = 1 end return v end

local lease = redis.call('HMGET', KEYS[1], 'c', 's', 'a')
if not lease[1] then return { 0, 0 } end
if lease[2] == '1' then return { 2, tonumber(lease[3]) } end
local delta = actual - tonumber(lease[1])

-- The time matters only when a quota is corrected (a settle at the estimate, the common case, needs none); it is still read
-- before anything is written.
local now = 0
if delta ~= 0 then
  if ARGV[6 + 3 * n] and ARGV[6 + 3 * n] ~= '' then
    now = tonumber(ARGV[6 + 3 * n])
  else
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  end
end

for i = 1, n do
  local kind, b = ARGV[3 + 3 * i], tonumber(ARGV[5 + 3 * i])
  local key = KEYS[1 + i]
  if kind == 'c' then
    redis.call('ZREM', key, lease_id)
  elseif (kind == 'f' or kind == 's') and delta ~= 0 then
    local charged_w = tonumber(redis.call('HGET', KEYS[1], 'w' .. i))
    local id = math.floor(now / b)
    local w = tonumber(redis.call('HGET', key, 'w') or '-1')
    if delta < 0 then
      -- Refund only into the window the reservation went to; a window that has ended is not brought back.
      local field = nil
      if charged_w == nil then field = nil
      elseif w == charged_w then field = 'u'
      elseif kind == 's' and w == charged_w + 1 then field = 'p' end
      if field then
        local used = tonumber(redis.call('HGET', key, field) or '0') + delta
        if used < 0 then used = 0 end
        redis.call('HSET', key, field, num(used))
      end
    else
      -- Charge the overrun to the current window, without a limit check: what was produced is paid for.
      if kind == 'f' then
        local used = 0
        if w == id then used = tonumber(redis.call('HGET', key, 'u') or '0') end
        redis.call('HSET', key, 'w', num(id), 'u', num(used + delta))
        redis.call('PEXPIRE', key, ms((id + 1) * b - now))
      else
        local cur, prev = 0, 0
        if w == id then
          cur = tonumber(redis.call('HGET', key, 'u') or '0')
          prev = tonumber(redis.call('HGET', key, 'p') or '0')
        elseif w == id - 1 then
          prev = tonumber(redis.call('HGET', key, 'u') or '0')
        end
        redis.call('HSET', key, 'w', num(id), 'u', num(cur + delta), 'p', num(prev))
        redis.call('PEXPIRE', key, ms(2 * b - (now - id * b)))
      end
    end
  end
end

redis.call('HSET', KEYS[1], 's', '1', 'a', num(actual))
redis.call('PEXPIRE', KEYS[1], ms(lease_us))
return { 1, actual }
