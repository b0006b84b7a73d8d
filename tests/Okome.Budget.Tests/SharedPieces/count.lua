-- KEYS[1]: a counter. ARGV[1]: how much to add. Returns the counter after the add, so a test sees how often the script ran.
return redis.call('INCRBY', KEYS[1], ARGV[1])
