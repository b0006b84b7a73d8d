-- Stores an entry only while the caller still holds the lease, releases the lease and wakes the waiters.
-- A holder whose lease ran out (and was taken over) can therefore never overwrite newer data.
-- KEYS[1] entry key, KEYS[2] lease key (same hash tag)
-- ARGV[1] lease token, ARGV[2] entry envelope, ARGV[3] entry time to live in ms,
-- ARGV[4] events channel, ARGV[5] event message, ARGV[6] '1' to append the envelope to the message (a small entry:
-- waiters on other nodes then take it from the notification instead of reading it; sent once, appended here)
-- Returns 1 stored, 0 the lease is not the caller's (nothing written).
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
if ARGV[6] == '1' then
  redis.call('PUBLISH', ARGV[4], ARGV[5] .. ARGV[2])
else
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
return 1
