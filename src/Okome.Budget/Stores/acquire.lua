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
-- Refused with an error reply, changing nothing, when an allowed request's lease record already exists (the tombstone of an
-- aborted lease id; a lone request that is denied anyway is answered as denied, which changes nothing either); in a batch,
-- only that request is refused (block { 0, -1, now, zeros }) and the others are decided.
-- Each limit's state is read once per call and written once per call (not once per request): a batch of k costs a few
-- Redis commands per request (its lease record) plus a fixed number per call. A concurrency cap's live slots are counted
-- with ZCOUNT; ended slots are swept by one call in 16. A quota key's expiry is set only when its
-- window changes (it is the window's end, the same for every write in the window); a concurrency set's with one
-- PEXPIRE GT.
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
local create = ARGV[5] == '1'

local function num(x) return string.format('%.0f', x) end
local function ms(us) local v = math.ceil(us / 1000) if v < 1 then v = 1 end return v end
local function clamp0(x) if x < 0 then return 0 end return x end

-- A lease id with a record already is a tombstone left by abort.lua: the client gave up on this acquire (it timed out or
-- failed on the client) and the abort overtook it on the way here (another connection, a reconnect). Refuse it, change
-- nothing: every request of the call is checked before any is applied (one EXISTS over all of them; one per request
-- only when some record exists).
local function lease_key(j) if j == 1 then return KEYS[1] end return KEYS[n + j] end
local function lease_arg(j) if j == 1 then return ARGV[1], tonumber(ARGV[3]) end return ARGV[6 + 3 * n + 2 * (j - 1)], tonumber(ARGV[7 + 3 * n + 2 * (j - 1)]) end
-- In a batch (k > 1) only the aborted request is refused (its block says allowed 0, denying index -1, and it changes
-- nothing): its caller has gone, and the others of the batch must not fail with it.
-- A lone request (k = 1) sends no EXISTS: its record's HSET, written before any state, says whether a field was there.
local aborted = {}
if create then
  if k > 1 then
    local records = {}
    for j = 1, k do records[j] = lease_key(j) end
    if redis.call('EXISTS', unpack(records)) > 0 then
      for j = 1, k do
        if redis.call('EXISTS', records[j]) == 1 then aborted[j] = true end
      end
    end
  end
end

-- Each limit's state, read once: rate {tat}; quota {id, used | cur, prev, elapsed, stored window}; concurrency {count, first expiry}.
local kinds, as, bs, state = {}, {}, {}, {}
for i = 1, n do
  local kind, a, b = ARGV[3 + 3 * i], tonumber(ARGV[4 + 3 * i]), tonumber(ARGV[5 + 3 * i])
  local key = KEYS[1 + i]
  kinds[i], as[i], bs[i] = kind, a, b
  if kind == 'r' then
    local tat = tonumber(redis.call('GET', key) or '0')
    state[i] = { tat = tat, tat0 = tat }
  elseif kind == 'f' then
    local id = math.floor(now / b)
    local h = redis.call('HMGET', key, 'w', 'u')
    local w = tonumber(h[1] or '-1')
    local used = 0
    if w == id then used = tonumber(h[2] or '0') end
    state[i] = { id = id, w = w, used = used, used0 = used }
  elseif kind == 's' then
    local id = math.floor(now / b)
    local h = redis.call('HMGET', key, 'w', 'u', 'p')
    local w = tonumber(h[1] or '-1')
    local cur, prev = 0, 0
    if w == id then
      cur = tonumber(h[2] or '0')
      prev = tonumber(h[3] or '0')
    elseif w == id - 1 then
      prev = tonumber(h[2] or '0')
    end
    state[i] = { id = id, w = w, cur = cur, cur0 = cur, prev = prev, elapsed = now - id * b }
  elseif kind == 'c' then
    -- Live slots are those ending after now: counted with one ZCOUNT. Ended ones (a holder that crashed) are removed by
    -- one call in 16 (by the clock's microseconds, so the replicated effects stay deterministic), not by every call.
    if now % 16 == 0 then redis.call('ZREMRANGEBYSCORE', key, '-inf', num(now)) end
    local count = redis.call('ZCOUNT', key, '(' .. num(now), '+inf')
    state[i] = { count = count, count0 = count, first = nil, added = {} }
  else
    return redis.error_reply('okome budget: unknown limit kind')
  end
end

local result = {}
local leases = {}
for j = 1, k do
  if aborted[j] then
    result[#result + 1] = 0
    result[#result + 1] = -1
    result[#result + 1] = now
    for i = 1, 3 * n do result[#result + 1] = 0 end
  else
  local lease_id, cost = lease_arg(j)
  local out = { 1, 0, now }
  for i = 1, n do
    local kind, a, b, s = kinds[i], as[i], bs[i], state[i]
    local ok, remaining, retry, reset
    if kind == 'r' then
      local tat = s.tat
      if tat < now then tat = now end
      local tau = a * b
      local new_tat = tat + a
      if new_tat - now > tau then
        ok, remaining, retry, reset = false, math.floor((tau - (tat - now)) / a), new_tat - tau - now, tat - now
      else
        ok, remaining, retry, reset = true, math.floor((tau - (new_tat - now)) / a), 0, new_tat - now
      end
      s.next = new_tat
    elseif kind == 'f' then
      local used = s.used
      reset = (s.id + 1) * b - now
      if used + cost <= a then
        ok, remaining, retry = true, a - used - cost, 0
      else
        ok, remaining, retry = false, a - used, reset
      end
    elseif kind == 's' then
      local cur, prev, elapsed = s.cur, s.prev, s.elapsed
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
    else
      local count = s.count
      reset = 0
      if count + 1 <= a then
        ok, remaining, retry = true, a - count - 1, 0
      else
        -- The earliest live slot to end: one read, only when a request is denied by this cap. Slots added in this call end
        -- last (now + lease duration), so the earliest stored one comes first when there is one.
        if s.first == nil then
          local first = redis.call('ZRANGE', KEYS[1 + i], '(' .. num(now), '+inf', 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
          if first[2] then s.first = tonumber(first[2]) else s.first = now + lease_us end
        end
        ok, remaining, retry = false, a - count, s.first - now
      end
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
    -- Allowed: apply every limit to the state in hand (written once, below).
    for i = 1, n do
      local kind, s = kinds[i], state[i]
      if rates_only and kind ~= 'r' then
        -- a cache answer: only its rate limits are charged
      elseif kind == 'r' then
        s.tat = s.next
      elseif kind == 'f' then
        s.used = s.used + cost
      elseif kind == 's' then
        s.cur = s.cur + cost
      else
        s.count = s.count + 1
        local added = s.added
        added[#added + 1] = num(now + lease_us)
        added[#added + 1] = lease_id
      end
    end
    if create then leases[#leases + 1] = { lease_key(j), cost } end
  end
  for x = 1, #out do result[#result + 1] = out[x] end
  end
end

-- The lease record of each allowed request: reserved cost, open, and the window each quota charged it to. Written before
-- any state: for a lone request, HSET's count of new fields is the tombstone check (a field already there is abort.lua's
-- tombstone; lease ids are random, so no other record can have this one's key).
if #leases > 0 then
  local windows = {}
  for i = 1, n do
    local kind = kinds[i]
    if kind == 'f' or kind == 's' then
      windows[#windows + 1] = 'w' .. i
      windows[#windows + 1] = num(state[i].id)
    end
  end
  for x = 1, #leases do
    local record = leases[x][1]
    local added = redis.call('HSET', record, 'c', num(leases[x][2]), 's', '0', unpack(windows))
    if k == 1 and added < 2 + #windows / 2 then
      -- Aborted: put the tombstone back as abort.lua leaves it and refuse; no limit's state has been written.
      redis.call('DEL', record)
      redis.call('HSET', record, 's', 'x')
      redis.call('PEXPIRE', record, ms(lease_us))
      return redis.error_reply('okome budget: lease aborted')
    end
    redis.call('PEXPIRE', record, ms(lease_us))
  end
end

-- Write each limit's state once, only where a request changed it.
for i = 1, n do
  local kind, b, s = kinds[i], bs[i], state[i]
  local key = KEYS[1 + i]
  if kind == 'r' then
    if s.tat ~= s.tat0 then redis.call('SET', key, num(s.tat), 'PX', ms(s.tat - now)) end
  elseif kind == 'f' then
    if s.used ~= s.used0 then
      redis.call('HSET', key, 'w', num(s.id), 'u', num(s.used))
      -- The key lives until its window ends: set once per window (a write in the same window found it set).
      if s.w ~= s.id then redis.call('PEXPIRE', key, ms((s.id + 1) * b - now)) end
    end
  elseif kind == 's' then
    if s.cur ~= s.cur0 then
      redis.call('HSET', key, 'w', num(s.id), 'u', num(s.cur), 'p', num(s.prev))
      if s.w ~= s.id then redis.call('PEXPIRE', key, ms(2 * b - s.elapsed)) end
    end
  elseif #s.added > 0 then
    redis.call('ZADD', key, unpack(s.added))
    -- The set lives as long as its latest slot: a new set gets the lease duration, an existing one (which always has an
    -- expiry) only a later one.
    if s.count0 == 0 then
      redis.call('PEXPIRE', key, ms(lease_us))
    else
      redis.call('PEXPIRE', key, ms(lease_us), 'GT')
    end
  end
end

return result
