-- Increments a namespace's version (all its entries become unreachable at once) and tells every node.
-- KEYS[1] namespace version key
-- ARGV[1] events channel, ARGV[2] event message
-- Returns the new version.
local version = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return version
