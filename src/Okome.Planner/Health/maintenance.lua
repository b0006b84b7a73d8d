-- KEYS[1]: the state hash. ARGV[1]: 1 on, 0 off; ARGV[2]: the epoch of a state created now.
-- Returns HGETALL of the state after the write.
local key = KEYS[1]
redis.call('HSETNX', key, 'epoch', ARGV[2])
redis.call('HSET', key, 'maint', ARGV[1])
redis.call('HINCRBY', key, 'v', 1)
return redis.call('HGETALL', key)
