-- Extends a lease while the caller still holds it (a long factory or stream keeps its lease).
-- KEYS[1] lease key
-- ARGV[1] lease token, ARGV[2] new duration in ms
-- Returns 1 renewed, 0 the lease is not the caller's.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
