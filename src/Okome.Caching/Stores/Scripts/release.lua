-- Compare-and-delete of a lease, then wakes the waiters so one of them takes over at once.
-- KEYS[1] lease key
-- ARGV[1] lease token, ARGV[2] events channel, ARGV[3] event message
-- Returns 1 released, 0 the lease is not the caller's.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
