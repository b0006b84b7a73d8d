-- Writes (ARGV[1] non-empty) or removes (ARGV[1] empty) an entry outside a lease and tells every node.
-- KEYS[1] entry key
-- ARGV[1] entry envelope or '', ARGV[2] time to live in ms, ARGV[3] events channel, ARGV[4] event message
-- Returns 1 if something was written or removed, else 0.
local changed
if ARGV[1] == '' then
  changed = redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  changed = 1
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return changed
