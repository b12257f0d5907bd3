-- One registration with the current waitlist position of each waitlisted day.
--! flags=no-writes
-- (attendance_lib.lua is joined in front.)
-- ARG: 1 participant id
-- Returns { described days ("date=mode=status=position;..."), field, value,
--           ... } or an empty array when there is no registration.
return registration_reply(ARG(1))
