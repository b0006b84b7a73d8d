-- Takes an entry's lease unless another holder has it or the entry changed since the caller read it.
-- KEYS[1] entry key, KEYS[2] lease key, KEYS[3] the key's live stream (same hash tag)
-- ARGV[1] lease token (random), ARGV[2] lease duration in ms,
-- ARGV[3] the stamp of the entry the caller saw: its envelope's last 4 bytes (CRC-32), or '' for none,
-- ARGV[4] '1' to look only (a waiter's re-check: nothing is taken, so its answer may be dropped)
-- Returns {0} acquired; {1, pttl, streaming} held by another for pttl more ms, streaming 1 when its live stream exists
-- (the waiter follows it; otherwise it waits without asking); {2} the entry changed: read it again; {3} free (look only).
local current = ''
if redis.call('STRLEN', KEYS[1]) >= 4 then
  current = redis.call('GETRANGE', KEYS[1], -4, -1)
end
if current ~= ARGV[3] then
  return {2}
end
if ARGV[4] == '1' then
  if redis.call('EXISTS', KEYS[2]) == 0 then
    return {3}
  end
elseif redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {0}
end
return {1, redis.call('PTTL', KEYS[2]), redis.call('EXISTS', KEYS[3])}
