-- acquire.lua: checks every limit of one policy for one partition and, only when all of them allow, applies them all.
-- A denied request changes nothing. Time is Redis server time (TIME), in microseconds, unless the client passes it.
-- One call may carry k requests (hot-partition batching): they are decided one after the other, in order, each all or
-- nothing, exactly as k separate calls would be, but in one round trip.
-- KEYS[1]       the lease record (hash) of the (first) request; written only when allowed and ARGV[5] = 1; with ARGV[5] = 0
--               never touched (the client then sends the first state key again, so a rate-only call builds no lease key)
-- KEYS[1 + i]   the state key of limit i (i = 1..n), in policy order; every key shares one {partition} hash tag, except
--               global limits' keys ({!global} tag), which share a call only on a single Redis node
-- KEYS[n + j]   the lease record of request j, j = 2..k
-- ARGV[1]       lease id (member of the concurrency sets), chosen by the client so that it can abort this call (abort.lua)
-- ARGV[2]       lease duration, microseconds
-- ARGV[3]       cost charged to every quota (the estimate), >= 0
-- ARGV[4]       n, the number of limits
-- ARGV[5]       1 = create the lease record, 0 = no lease (the policy has only rates), 'h' = no lease and only rate limits
--               checked and charged (a cache answer): the others are reported as they stand, never deny, are not charged
-- ARGV[3 + 3i], ARGV[4 + 3i], ARGV[5 + 3i]   limit i: kind, a, b
--   kind 'r' GCRA rate:            a = emission interval (us), b = burst          state: string, theoretical arrival time (us)
--   kind 'f' calendar quota:       a = limit,                  b = window (us)    state: hash w = window id, u = used
--   kind 's' rolling quota:        a = limit,                  b = window (us)    state: hash w = bucket id, u = used in it, p = used in the previous
--   kind 'c' concurrency:          a = max in flight,          b = unused         state: zset lease id -> expiry (us)
-- ARGV[6 + 3n]  optional: now (us) from the client's measured server-clock offset, for a Redis that refuses TIME in
--               scripts; empty or absent = read TIME
-- ARGV[7 + 3n]  optional: k, the number of requests (absent = 1); request j >= 2 is ARGV[6 + 3n + 2(j-1)] lease id and
--               ARGV[7 + 3n + 2(j-1)] cost
-- Refused with an error reply, changing nothing, when a lease record already exists (the tombstone of an aborted lease id);
-- in a batch, only that request is refused (block { 0, -1, now, zeros }) and the others are decided.
-- Returns, per request in order, { allowed 1|0, first denying limit index or 0, server time (us), then per limit:
-- remaining, retry-after (us), reset-after (us) }, the blocks concatenated.
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
local rates_only = ARGV[5] == 'h'

local function num(x) return string.format('%.0f', x) end
local function ms(us) local v = math.ceil(us / 1000) if v < 1 then v = 1 end return v end
local function clamp0(x) if x < 0 then return 0 end return x end

-- A lease id with a record already is a tombstone left by abort.lua: the client gave up on this acquire (it timed out or
-- failed on the client) and the abort overtook it on the way here (another connection, a reconnect). Refuse it, change
-- nothing: every request of the call is checked before any is applied.
local function lease_key(j) if j == 1 then return KEYS[1] end return KEYS[n + j] end
local function lease_arg(j) if j == 1 then return ARGV[1], tonumber(ARGV[3]) end return ARGV[6 + 3 * n + 2 * (j - 1)], tonumber(ARGV[7 + 3 * n + 2 * (j - 1)]) end
-- In a batch (k > 1) only the aborted request is refused (its block says allowed 0, denying index -1, and it changes
-- nothing): its caller has gone, and the others of the batch must not fail with it.
local aborted = {}
if ARGV[5] == '1' then
  for j = 1, k do
    if redis.call('EXISTS', lease_key(j)) == 1 then
      if k == 1 then return redis.error_reply('okome budget: lease aborted') end
      aborted[j] = true
    end
  end
end

local result = {}
for j = 1, k do
  if aborted[j] then
    result[#result + 1] = 0
    result[#result + 1] = -1
    result[#result + 1] = now
    for i = 1, 3 * n do result[#result + 1] = 0 end
  else
  local lease_id, cost = lease_arg(j)
  local lease_record = lease_key(j)
  local out = { 1, 0, now }
  local new_state = {}
  for i = 1, n do
    local kind, a, b = ARGV[3 + 3 * i], tonumber(ARGV[4 + 3 * i]), tonumber(ARGV[5 + 3 * i])
    local key = KEYS[1 + i]
    local ok, remaining, retry, reset
    if kind == 'r' then
      local tat = tonumber(redis.call('GET', key) or '0')
      if tat < now then tat = now end
      local tau = a * b
      local new_tat = tat + a
      if new_tat - now > tau then
        ok, remaining, retry, reset = false, math.floor((tau - (tat - now)) / a), new_tat - tau - now, tat - now
      else
        ok, remaining, retry, reset = true, math.floor((tau - (new_tat - now)) / a), 0, new_tat - now
      end
      new_state[i] = new_tat
    elseif kind == 'f' then
      local id = math.floor(now / b)
      local w = tonumber(redis.call('HGET', key, 'w') or '-1')
      local used = 0
      if w == id then used = tonumber(redis.call('HGET', key, 'u') or '0') end
      reset = (id + 1) * b - now
      if used + cost <= a then
        ok, remaining, retry = true, a - used - cost, 0
      else
        ok, remaining, retry = false, a - used, reset
      end
      new_state[i] = { id, used }
    elseif kind == 's' then
      local id = math.floor(now / b)
      local w = tonumber(redis.call('HGET', key, 'w') or '-1')
      local cur, prev = 0, 0
      if w == id then
        cur = tonumber(redis.call('HGET', key, 'u') or '0')
        prev = tonumber(redis.call('HGET', key, 'p') or '0')
      elseif w == id - 1 then
        prev = tonumber(redis.call('HGET', key, 'u') or '0')
      end
      local elapsed = now - id * b
      local estimate = cur + prev * (b - elapsed) / b
      if cur > 0 then reset = 2 * b - elapsed elseif prev > 0 then reset = b - elapsed else reset = 0 end
      if estimate + cost <= a then
        ok, remaining, retry = true, math.floor(a - estimate - cost), 0
      else
        ok, remaining = false, math.floor(a - estimate)
        local room = a - cur - cost
        if room >= 0 and prev > 0 then
          retry = math.ceil(b - room * b / prev) - elapsed
          if retry < 1 then retry = 1 end
        else
          retry = b - elapsed
        end
      end
      new_state[i] = { id, cur, prev, elapsed }
    elseif kind == 'c' then
      redis.call('ZREMRANGEBYSCORE', key, '-inf', num(now))
      local count = redis.call('ZCARD', key)
      reset = 0
      if count + 1 <= a then
        ok, remaining, retry = true, a - count - 1, 0
      else
        local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
        ok, remaining, retry = false, a - count, tonumber(first[2]) - now
      end
    else
      return redis.error_reply('okome budget: unknown limit kind')
    end
    if rates_only and kind ~= 'r' then ok, retry = true, 0 end
    if not ok then
      out[1] = 0
      if out[2] == 0 then out[2] = i end
    end
    out[#out + 1] = clamp0(remaining)
    out[#out + 1] = clamp0(retry)
    out[#out + 1] = clamp0(reset)
  end

  if out[1] == 1 then

    for i = 1, n do
      local kind, a, b = ARGV[3 + 3 * i], tonumber(ARGV[4 + 3 * i]), tonumber(ARGV[5 + 3 * i])
      local key = KEYS[1 + i]
      local s = new_state[i]
      if rates_only and kind ~= 'r' then
        -- a cache answer: only its rate limits are charged
      elseif kind == 'r' then
        redis.call('SET', key, num(s), 'PX', ms(s - now))
      elseif kind == 'f' then
        redis.call('HSET', key, 'w', num(s[1]), 'u', num(s[2] + cost))
        redis.call('PEXPIRE', key, ms((s[1] + 1) * b - now))
      elseif kind == 's' then
        redis.call('HSET', key, 'w', num(s[1]), 'u', num(s[2] + cost), 'p', num(s[3]))
        redis.call('PEXPIRE', key, ms(2 * b - s[4]))
      elseif kind == 'c' then
        redis.call('ZADD', key, num(now + lease_us), lease_id)
        if redis.call('PTTL', key) < ms(lease_us) then redis.call('PEXPIRE', key, ms(lease_us)) end
      end
    end

    if ARGV[5] == '1' then
      redis.call('HSET', lease_record, 'c', num(cost), 's', '0')
      for i = 1, n do
        local s = new_state[i]
        local kind = ARGV[3 + 3 * i]
        if kind == 'f' or kind == 's' then redis.call('HSET', lease_record, 'w' .. i, num(s[1])) end
      end
      redis.call('PEXPIRE', lease_record, ms(lease_us))
    end
  end
  for x = 1, #out do result[#result + 1] = out[x] end
  end
end
return result
