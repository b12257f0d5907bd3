-- Test-only: a reply mixing every RESP2 type (false becomes nil; a table with
-- `ok` becomes a status reply).
return {1, 'two', {3, 'four', false}, {ok = 'FINE'}}
