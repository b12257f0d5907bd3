-- Joined in front of the scripts that append to a stream clients follow
-- with position tokens (storage/stream_position.h).

-- Gives the stream behind `epoch_key` its epoch with its first entry: a
-- hash of that entry's id (the server's clock in milliseconds) and of what
-- it holds (`salt`). A Redis that is wiped, or another one, gives its stream
-- another epoch, so tokens of the old one are refused instead of read as
-- positions here. Readers never write it.
local function stamp_epoch(epoch_key, first_id, salt)
  if redis.call('EXISTS', epoch_key) == 1 then return end
  redis.call('SET', epoch_key, string.sub(redis.sha1hex(first_id .. '|' .. salt), 1, 16))
end

-- Called first by every function of a library with a prelude
-- (ConveneEmbedLua.cmake); these scripts read KEYS and ARGV directly.
local function begin(keys, argv) end
