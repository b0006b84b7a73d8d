-- KEYS[1]: the state hash. ARGV[1]: epoch; ARGV[2]: maint; then per host four values from ARGV[3]:
-- its field prefix, status, ok, fail. Writes only when no state exists; returns HGETALL.
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then
  redis.call('HSET', key, 'epoch', ARGV[1], 'v', 1, 'maint', ARGV[2])
  for i = 3, #ARGV, 4 do
    local h = ARGV[i]
    redis.call('HSET', key, h .. ':status', ARGV[i + 1], h .. ':ok', ARGV[i + 2], h .. ':fail', ARGV[i + 3])
  end
end
return redis.call('HGETALL', key)
