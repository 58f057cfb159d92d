-- shards: records the namespace's shard count unless one is recorded (in its bucket 0, which every
-- shard count has, under P shards); atomic, so of two stores opening a new namespace with
-- different counts at once, one records and the other sees that count.
-- KEYS[1] P idx of bucket 0
-- ARGV[1] this store's shard count
-- Returns the recorded count as text
local key = P .. 'shards'
local recorded = redis.call('GET', key)
if recorded then return recorded end
-- a server out of memory refuses this write: the count is then recorded by a later open
redis.pcall('SET', key, ARGV[1])
return ARGV[1]
