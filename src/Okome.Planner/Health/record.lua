-- KEYS[1]: the state hash. ARGV[1]: the host's field prefix ('stable', 'stable/gpu-a', ...); ARGV[2]: 1 success, 0 failure;
-- ARGV[3]: rise; ARGV[4]: fall; ARGV[5]: the epoch of a state created now; ARGV[6]: the counter cap.
-- Returns HGETALL of the state after the write.
local key = KEYS[1]
redis.call('HSETNX', key, 'epoch', ARGV[5])
local u = ARGV[1]
local status = tonumber(redis.call('HGET', key, u .. ':status') or '0')
local ok = tonumber(redis.call('HGET', key, u .. ':ok') or '0')
local fail = tonumber(redis.call('HGET', key, u .. ':fail') or '0')
local cap = tonumber(ARGV[6])
if ARGV[2] == '1' then
  fail = 0
  ok = math.min(ok + 1, cap)
  if ok >= tonumber(ARGV[3]) then status = 1 end
else
  ok = 0
  fail = math.min(fail + 1, cap)
  if fail >= tonumber(ARGV[4]) then status = 2 end
end
redis.call('HSET', key, u .. ':status', status, u .. ':ok', ok, u .. ':fail', fail)
redis.call('HINCRBY', key, 'v', 1)
return redis.call('HGETALL', key)
