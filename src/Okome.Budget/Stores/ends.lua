-- ends.lua: k settles and releases of leases of one partition of one policy in one call (coalesced lease ends), each exactly
-- as settle.lua or release.lua would do it, one after the other in order. The bodies below are those two scripts' bodies,
-- made functions; keep them the same (the contract tests run every end through both paths), except that a batch reads each
-- record with one HMGET (its charged windows included) and frees the slots of every end with one ZREM per set, at the end.
-- KEYS[1]       the lease record of end 1; KEYS[1 + i] the state key of limit i, in policy order; KEYS[n + j] the lease record of end j >= 2
-- ARGV[1]       lease id of end 1; ARGV[2] lease duration (us); ARGV[3] its actual cost (settle); ARGV[4] n; ARGV[5] 's' settle or 'r' release
-- ARGV[3 + 3i], ARGV[4 + 3i], ARGV[5 + 3i]   limit i: kind, a, b (see acquire.lua)
-- ARGV[6 + 3n]  optional: now (us) from the client's measured server-clock offset; empty = read TIME
-- ARGV[7 + 3n]  k; end j >= 2 is ARGV[5 + 3n + 3(j-1)] lease id, ARGV[6 + 3n + 3(j-1)] cost, ARGV[7 + 3n + 3(j-1)] 's' or 'r'
-- Returns { outcome, charged } per end, concatenated (outcome 0 = no such lease, 1 = done now, 2 = settled before).
local n = tonumber(ARGV[4])
local now
if ARGV[6 + 3 * n] and ARGV[6 + 3 * n] ~= '' then
  now = tonumber(ARGV[6 + 3 * n])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local lease_us = tonumber(ARGV[2])
local k = tonumber(ARGV[7 + 3 * n] or '1')

local function num(x) return string.format('%.0f', x) end
local function ms(us) local v = math.ceil(us / 1000) if v < 1 then v = 1 end return v end

-- The slots freed by the ends, per concurrency limit: removed with one ZREM per set after the loop (nothing in this
-- script reads the sets, so the order of removals does not matter).
local freed = {}
for i = 1, n do if ARGV[3 + 3 * i] == 'c' then freed[i] = {} end end

-- The record's fields: c, s, a, then the charged window of every quota limit (w<i>), in one read.
local fields = { 'c', 's', 'a' }
local window_at = {}
for i = 1, n do
  local kind = ARGV[3 + 3 * i]
  if kind == 'f' or kind == 's' then
    fields[#fields + 1] = 'w' .. i
    window_at[i] = #fields
  end
end

local function settle(record, lease_id, actual)
  local lease = redis.call('HMGET', record, unpack(fields))
  if not lease[1] then return 0, 0 end
  if lease[2] == '1' then return 2, tonumber(lease[3]) end
  local delta = actual - tonumber(lease[1])
  for i = 1, n do
    local kind, b = ARGV[3 + 3 * i], tonumber(ARGV[5 + 3 * i])
    local key = KEYS[1 + i]
    if kind == 'c' then
      local list = freed[i]
      list[#list + 1] = lease_id
    elseif (kind == 'f' or kind == 's') and delta ~= 0 then
      local charged_w = tonumber(lease[window_at[i]])
      local id = math.floor(now / b)
      local w = tonumber(redis.call('HGET', key, 'w') or '-1')
      if delta < 0 then
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
  redis.call('HSET', record, 's', '1', 'a', num(actual))
  redis.call('PEXPIRE', record, ms(lease_us))
  return 1, actual
end

local function release(record, lease_id)
  local lease = redis.call('HMGET', record, 'c', 's', 'a')
  if not lease[1] then return 0, 0 end
  if lease[2] == '1' then return 2, tonumber(lease[3]) end
  for i = 1, n do
    if ARGV[3 + 3 * i] == 'c' then
      local list = freed[i]
      list[#list + 1] = lease_id
    end
  end
  redis.call('HSET', record, 's', '1', 'a', lease[1])
  redis.call('PEXPIRE', record, ms(lease_us))
  return 1, tonumber(lease[1])
end

local result = {}
for j = 1, k do
  local record, lease_id, cost, mode
  if j == 1 then
    record, lease_id, cost, mode = KEYS[1], ARGV[1], tonumber(ARGV[3]), ARGV[5]
  else
    local base = 5 + 3 * n + 3 * (j - 1)
    record, lease_id, cost, mode = KEYS[n + j], ARGV[base], tonumber(ARGV[base + 1]), ARGV[base + 2]
  end
  local outcome, charged
  if mode == 's' then outcome, charged = settle(record, lease_id, cost) else outcome, charged = release(record, lease_id) end
  result[#result + 1] = outcome
  result[#result + 1] = charged
end
for i = 1, n do
  local list = freed[i]
  if list and #list > 0 then redis.call('ZREM', KEYS[1 + i], unpack(list)) end
end
return result
