-- The Lua twin of breaker.c and window.c, run on the Redis server inside each
-- operation's script, so that a transition is one atomic step there. It must
-- decide exactly as breaker.c does; tests/unit/test_redis_diff.c drives both
-- with the same random events and compares every field after every step.
-- Read breaker.c for the invariants and the reasons; the names here are its.
--
-- Redis runs Lua 5.1: numbers are doubles, exact for the integers a breaker
-- holds (ms times, counters) below 2^53. C's integer division and % truncate
-- toward zero, as math.fmod does; Lua's own % floors, so it is not used.
--
-- Keys: KEYS[1] PREFIX{NAME} (the hash: the fields of struct breaker_state,
-- the window as window_encode()'s bytes, the saved settings, lease_seq),
-- KEYS[2] PREFIX{NAME}:leases (zset: member "ID|probe|generation|owner",
-- score the expiry in ms), KEYS[3] PREFIX{NAME}:history (list, newest first:
-- "time|from|to|reason"), KEYS[4] PREFIX"breakers" (the set of names),
-- KEYS[5] PREFIX"generation" (the counter new breakers take a generation from).
-- ARGV[1] is the name; ARGV[2..15] the settings, ARGV[16] the history limit,
-- ARGV[17] the jitter draw, then each operation's own (see its file).

local CLOSED, OPEN, HALF_OPEN = 0, 1, 2
local NORMAL, TRIPPED, BYPASS = 0, 1, 2
local SUCCESS, FAILURE, IGNORED = 0, 1, 2
local R_NONE, R_OPEN, R_TRIPPED, R_HELD, R_HALF_OPEN_FULL, R_CONCURRENCY = 0, 1, 2, 3, 4, 5
local U32_MAX = 4294967295
local REASON_MAX = 255 -- BREAKER_REASON_MAX - 1: the bytes snprintf keeps
local RESTATE_SLACK_MS = 1000
local W_NONE, W_CALLS, W_TIME = 0, 1, 2
local W_MAX_CALLS, W_BUCKETS, W_FORMAT = 1000, 60, 1

local fmod, floor, ceil, abs = math.fmod, math.floor, math.ceil, math.abs
local sformat, sbyte, schar = string.format, string.byte, string.char

-- C's cast of a double to an integer.
local function trunc(x)
	if x >= 0 then
		return floor(x)
	end
	return ceil(x)
end

-- C's a / b of integers.
local function idiv(a, b)
	return (a - fmod(a, b)) / b
end

-- snprintf into a BREAKER_REASON_MAX buffer.
local function cut(s)
	if #s > REASON_MAX then
		return string.sub(s, 1, REASON_MAX)
	end
	return s
end

local function count_u32(v)
	if v < U32_MAX then
		return v + 1
	end
	return v
end

-- An integer as Redis and the C side read it back: every digit, no exponent
-- (tostring keeps 14), and never "-0".
local function num(v)
	return sformat('%.0f', v + 0)
end

-- ---------------------------------------------------------------- window.c

local function window_new(kind, size, span)
	return { kind = kind, size = size, span = span, head = 0, count = 0, calls = 0,
		failures = 0, slow = 0, ring = {}, bs = {}, bc = {}, bf = {}, bw = {} }
end

local function window_clear(w)
	w.head, w.count, w.calls, w.failures, w.slow = 0, 0, 0, 0, 0
	w.ring, w.bs, w.bc, w.bf, w.bw = {}, {}, {}, {}, {}
end

local function window_configure(w, calls, span)
	local kind = W_NONE
	if calls ~= 0 then
		kind = W_CALLS
	elseif span ~= 0 then
		kind = W_TIME
	end
	if calls > W_MAX_CALLS then
		calls = W_MAX_CALLS
	end
	-- As window.c: the span asked for, not the span kept, is compared.
	if kind == w.kind and calls == w.size and span == w.span then
		return
	end
	w.kind, w.size = kind, calls
	if kind == W_TIME then
		w.span = span
	else
		w.span = 0
	end
	window_clear(w)
end

local function bucket_width(w)
	local width = idiv(w.span, W_BUCKETS)
	if width > 0 then
		return width
	end
	return 1
end

local function window_add(w, now, failure, slow)
	if w.kind == W_CALLS then
		if w.count == w.size then
			local old = w.ring[w.head] or 0
			w.calls = w.calls - 1
			if fmod(old, 2) == 1 then
				w.failures = w.failures - 1
			end
			if old >= 2 then
				w.slow = w.slow - 1
			end
		else
			w.count = w.count + 1
		end
		w.ring[w.head] = (failure and 1 or 0) + (slow and 2 or 0)
		w.calls = w.calls + 1
		if failure then
			w.failures = w.failures + 1
		end
		if slow then
			w.slow = w.slow + 1
		end
		w.head = fmod(w.head + 1, w.size)
	elseif w.kind == W_TIME then
		local width = bucket_width(w)
		local start = now - fmod(now, width)
		local i = fmod(idiv(start, width), W_BUCKETS)
		if (w.bs[i] or 0) ~= start then
			w.bs[i], w.bc[i], w.bf[i], w.bw[i] = start, 0, 0, 0
		end
		w.bc[i] = (w.bc[i] or 0) + 1
		if failure then
			w.bf[i] = (w.bf[i] or 0) + 1
		end
		if slow then
			w.bw[i] = (w.bw[i] or 0) + 1
		end
	end
end

local function window_sums(w, now)
	local calls, failures, slow = 0, 0, 0
	if w.kind == W_CALLS then
		return w.calls, w.failures, w.slow
	elseif w.kind == W_TIME then
		for i = 0, W_BUCKETS - 1 do
			local c = w.bc[i] or 0
			if c ~= 0 and (w.bs[i] or 0) > now - w.span then
				calls = calls + c
				failures = failures + (w.bf[i] or 0)
				slow = slow + (w.bw[i] or 0)
			end
		end
	end
	return calls, failures, slow
end

-- window_encode()'s bytes: little-endian fixed-width fields.
local function put(b, v, n)
	for _ = 1, n do
		local byte = fmod(v, 256)
		b[#b + 1] = byte
		v = (v - byte) / 256
	end
end

local function window_encode(w)
	local b = {}
	put(b, W_FORMAT, 1)
	put(b, w.kind, 1)
	put(b, w.size, 4)
	put(b, w.span, 8)
	if w.kind == W_CALLS then
		put(b, w.head, 4)
		put(b, w.count, 4)
		for i = 0, w.count - 1 do
			b[#b + 1] = w.ring[i] or 0
		end
	elseif w.kind == W_TIME then
		for i = 0, W_BUCKETS - 1 do
			put(b, w.bs[i] or 0, 8)
			put(b, w.bc[i] or 0, 4)
			put(b, w.bf[i] or 0, 4)
			put(b, w.bw[i] or 0, 4)
		end
	end
	return schar(unpack(b))
end

local function get(s, p, n)
	local v, m = 0, 1
	for i = 0, n - 1 do
		v = v + sbyte(s, p + i) * m
		m = m * 256
	end
	return v, p + n
end

-- window_decode(): a blob it cannot read gives a cleared window of no kind, as
-- the SQLite store's loading does.
local function window_decode(s)
	local none = window_new(W_NONE, 0, 0)
	local len = #s
	if len < 14 then
		return none
	end
	local v, kind, size, span, p
	v, p = get(s, 1, 1)
	if v ~= W_FORMAT then
		return none
	end
	kind, p = get(s, p, 1)
	size, p = get(s, p, 4)
	span, p = get(s, p, 8)
	local left = len - p + 1
	if kind == W_CALLS then
		if size == 0 or size > W_MAX_CALLS or left < 8 then
			return none
		end
		local head, count
		head, p = get(s, p, 4)
		count, p = get(s, p, 4)
		if head >= size or count > size or (count < size and head ~= count) or
		    len - p + 1 ~= count then
			return none
		end
		local w = window_new(W_CALLS, size, 0)
		w.head, w.count = head, count
		for i = 0, count - 1 do
			local r = sbyte(s, p + i)
			if r > 3 then
				return none
			end
			w.ring[i] = r
			w.calls = w.calls + 1
			if fmod(r, 2) == 1 then
				w.failures = w.failures + 1
			end
			if r >= 2 then
				w.slow = w.slow + 1
			end
		end
		return w
	elseif kind == W_TIME then
		if left ~= W_BUCKETS * 20 or span <= 0 or span >= 2 ^ 63 then
			return none
		end
		local w = window_new(W_TIME, 0, span)
		for i = 0, W_BUCKETS - 1 do
			w.bs[i], p = get(s, p, 8)
			w.bc[i], p = get(s, p, 4)
			w.bf[i], p = get(s, p, 4)
			w.bw[i], p = get(s, p, 4)
			if w.bf[i] > w.bc[i] or w.bw[i] > w.bc[i] then
				return none
			end
		end
		return w
	end
	return none -- W_NONE or unknown: either way a cleared window of no kind
end

-- window_encode() of a window of no kind, whatever it was: the bytes of every
-- breaker without a window rule.
local W_NONE_BYTES = '\1\0\0\0\0\0\0\0\0\0\0\0\0\0'

-- The window is decoded only by the events that touch it.
local function win(st)
	if not st.win then
		if st.window_raw == W_NONE_BYTES then
			st.win = window_new(W_NONE, 0, 0)
		else
			st.win = window_decode(st.window_raw)
		end
	end
	return st.win
end

-- --------------------------------------------------------------- breaker.c

local function settings_init()
	return { failure_threshold = 5, recovery_timeout = 30000, success_threshold = 1,
		half_open_max_calls = 1, window_calls = 0, window_ms = 0, failure_rate = 0,
		min_calls = 10, slow_call_ms = 0, slow_call_rate = 0, backoff = 1.0,
		max_recovery_timeout = 3600000, jitter = 0, max_concurrent = 0 }
end

local function state_init(set, now)
	local st = { state = CLOSED, mode = NORMAL, held = 0, generation = 1,
		consecutive_failures = 0, consecutive_successes = 0, state_changed_at = now,
		retry_at = 0, retry_boot = 0, boot_id = 0, open_length = 0,
		open_period = set.recovery_timeout, last_failure_at = 0, last_success_at = 0,
		last_exit = -1, reason = '', mode_reason = '', total_calls = 0,
		total_successes = 0, total_failures = 0, total_ignored = 0, total_rejected = 0,
		total_timeouts = 0, total_slow = 0, total_opens = 0, total_timed_calls = 0,
		total_duration = 0, probes_inflight = 0, calls_inflight = 0 }
	st.win = window_new(W_NONE, 0, 0)
	window_configure(st.win, set.window_calls, set.window_ms)
	return st
end

local function change_state(st, to, now, reason, tr)
	reason = cut(reason)
	tr.from, tr.to, tr.reason = st.state, to, reason
	st.reason = reason
	st.state = to
	st.held = 0
	st.generation = st.generation + 1
	st.consecutive_successes = 0
	st.state_changed_at = now
	st.retry_at = 0
	window_clear(win(st))
end

local function max_period(set)
	if set.max_recovery_timeout > set.recovery_timeout then
		return set.max_recovery_timeout
	end
	return set.recovery_timeout
end

local function jittered(period, set, env)
	local j = env.jitter
	if j < -1 then
		j = -1
	elseif j > 1 then
		j = 1
	end
	local delta = trunc(period * set.jitter / 100.0 * j)
	if period + delta > 0 then
		return period + delta
	end
	return 0
end

local function set_retry(st, env, n)
	st.retry_at = env.now + n
	st.retry_boot = env.boot_ms + n
	st.boot_id = env.boot_id
end

local function open_breaker(st, set, env, reason, tr)
	if st.state == HALF_OPEN then
		local b = set.backoff
		if not (b >= 1) then
			b = 1
		end
		local grown = st.open_period * b
		local cap = max_period(set)
		if st.open_period < set.recovery_timeout then
			grown = set.recovery_timeout * set.backoff
		end
		if grown >= cap then
			st.open_period = cap
		else
			st.open_period = trunc(grown)
		end
	else
		st.open_period = set.recovery_timeout
	end
	change_state(st, OPEN, env.now, reason, tr)
	set_retry(st, env, jittered(st.open_period, set, env))
	st.open_length = st.retry_at - env.now
	st.total_opens = st.total_opens + 1
end

local function retry_in(st, env)
	local left = st.retry_at - env.now
	if st.boot_id ~= 0 and st.boot_id == env.boot_id and st.retry_boot - env.boot_ms < left then
		left = st.retry_boot - env.boot_ms
	end
	if left > st.open_length then
		left = st.open_length
	end
	if left > 0 then
		return left
	end
	return 0
end

local function leases_matter(st, set, env)
	if st.mode == BYPASS then
		return true
	end
	if st.mode == TRIPPED then
		return false
	end
	if st.state == CLOSED then
		return set.max_concurrent ~= 0
	end
	return st.state ~= OPEN or retry_in(st, env) == 0
end

local function min_calls(set)
	if set.window_calls ~= 0 and set.window_calls < set.min_calls then
		return set.window_calls
	end
	return set.min_calls
end

local function breaker_admit(st, set, env)
	local d = { admitted = false, probe = false, bypassed = false, reject = R_NONE,
		generation = 0, transitioned = false, tr = { from = 0, to = 0, reason = '' } }
	if st.mode == TRIPPED then
		d.reject = R_TRIPPED
	elseif st.state == OPEN then
		local left = retry_in(st, env)
		if st.boot_id ~= env.boot_id or abs(env.now + left - st.retry_at) > RESTATE_SLACK_MS then
			set_retry(st, env, left)
		end
		if left == 0 then
			change_state(st, HALF_OPEN, env.now, 'recovery timeout elapsed', d.tr)
			d.transitioned = true
			st.probes_inflight = 0
		elseif st.held == 1 then
			d.reject = R_HELD
		else
			d.reject = R_OPEN
		end
	end
	if st.state == HALF_OPEN and d.reject == R_NONE then
		if st.probes_inflight < set.half_open_max_calls then
			d.probe = true
		else
			d.reject = R_HALF_OPEN_FULL
		end
	end
	if d.reject ~= R_NONE and st.mode == BYPASS then
		d.bypassed, d.probe, d.reject = true, false, R_NONE
	end
	if d.reject == R_NONE and set.max_concurrent ~= 0 and
	    st.calls_inflight >= set.max_concurrent then
		d.reject, d.probe, d.bypassed = R_CONCURRENCY, false, false
	end
	d.admitted = d.reject == R_NONE
	d.generation = st.generation
	if not d.admitted then
		st.total_rejected = st.total_rejected + 1
	end
	if d.probe then
		st.probes_inflight = st.probes_inflight + 1
	end
	if d.admitted then
		st.calls_inflight = st.calls_inflight + 1
	end
	return d
end

local function describe_exit(call)
	if call.timed_out then
		return 'timed out'
	elseif call.exit_code < 0 then
		return 'recorded by hand'
	end
	return sformat('exit %d', call.exit_code)
end

local function describe_window(set)
	if set.window_calls ~= 0 then
		return sformat('the last %d calls', set.window_calls)
	end
	return sformat('the last %ds', idiv(set.window_ms, 1000))
end

-- The CLOSED-state trip rules: the reason to open, or nil.
local function should_open(st, set, env, call)
	if set.failure_threshold ~= 0 and st.consecutive_failures >= set.failure_threshold then
		return cut(sformat('%d consecutive failures, last %s', st.consecutive_failures,
			describe_exit(call)))
	end
	local w = win(st)
	if w.kind == W_NONE then
		return nil
	end
	local calls, failures, slow = window_sums(w, env.now)
	if calls == 0 or calls < min_calls(set) then
		return nil
	end
	local span = describe_window(set)
	if set.failure_rate ~= 0 and failures * 100 >= set.failure_rate * calls then
		return cut(sformat('failure rate %d%% over %s (%d of %d)', idiv(failures * 100, calls),
			span, failures, calls))
	end
	if set.slow_call_rate ~= 0 and slow * 100 >= set.slow_call_rate * calls then
		return cut(sformat('slow-call rate %d%% over %s (%d of %d)', idiv(slow * 100, calls),
			span, slow, calls))
	end
	return nil
end

local function breaker_record(st, set, env, call, tr)
	local failure = call.outcome == FAILURE
	st.total_calls = st.total_calls + 1
	if call.outcome == SUCCESS then
		st.total_successes = st.total_successes + 1
		st.last_success_at = env.now
	elseif call.outcome == FAILURE then
		st.total_failures = st.total_failures + 1
		st.last_failure_at = env.now
	elseif call.outcome == IGNORED then
		st.total_ignored = st.total_ignored + 1
	end
	if call.timed_out then
		st.total_timeouts = st.total_timeouts + 1
	end
	if call.slow then
		st.total_slow = st.total_slow + 1
	end
	if call.timed then
		st.total_timed_calls = st.total_timed_calls + 1
		if call.duration > 0 then
			st.total_duration = st.total_duration + call.duration
		end
	end
	if call.exit_code >= 0 then
		st.last_exit = call.exit_code
	end
	-- Invariant 2.
	if call.generation ~= st.generation or call.bypassed or call.outcome == IGNORED then
		return false
	end
	if failure then
		st.consecutive_failures = count_u32(st.consecutive_failures)
	else
		st.consecutive_failures = 0
	end
	if st.state == CLOSED then
		local w = win(st)
		window_configure(w, set.window_calls, set.window_ms)
		if w.kind ~= W_NONE then
			window_add(w, env.now, failure, call.slow)
		end
		local reason = should_open(st, set, env, call)
		if not reason then
			return false
		end
		open_breaker(st, set, env, reason, tr)
		return true
	end
	if st.state == HALF_OPEN then
		if failure then
			open_breaker(st, set, env, cut('probe failed, ' .. describe_exit(call)), tr)
			return true
		end
		st.consecutive_successes = count_u32(st.consecutive_successes)
		if st.consecutive_successes < set.success_threshold then
			return false
		end
		local reason = 'probe succeeded'
		if set.success_threshold > 1 then
			reason = sformat('%d probes succeeded', set.success_threshold)
		end
		change_state(st, CLOSED, env.now, reason, tr)
		st.open_period = set.recovery_timeout
		return true
	end
	return false
end

local function breaker_reset(st, saved, env, tr)
	local changed = st.state ~= CLOSED or st.mode ~= NORMAL
	st.mode = NORMAL
	st.held = 0
	st.mode_reason = ''
	st.consecutive_failures = 0
	st.open_period = saved.recovery_timeout
	if not changed then
		window_clear(win(st))
		return false
	end
	change_state(st, CLOSED, env.now, 'reset by hand', tr)
	return true
end

local function breaker_trip(st, env, for_ms, why, tr)
	local mode = TRIPPED
	if for_ms > 0 then
		mode = NORMAL
	end
	if st.state == OPEN and st.mode == mode and mode == TRIPPED and st.mode_reason == why then
		return false -- invariant 8
	end
	local reason = 'tripped by hand'
	if why ~= '' then
		reason = cut(reason .. ': ' .. why)
	end
	if st.state == OPEN then
		tr.from, tr.to, tr.reason = OPEN, OPEN, reason
		st.reason = reason
		st.retry_at = 0
	else
		change_state(st, OPEN, env.now, reason, tr)
		st.total_opens = st.total_opens + 1
	end
	st.mode_reason = cut(why)
	st.mode = mode
	if for_ms > 0 then
		st.held = 1
		st.open_length = for_ms
		set_retry(st, env, for_ms)
	else
		st.held = 0
		st.open_length = 0
	end
	return true
end

local function breaker_bypass(st, why, tr)
	if st.mode == BYPASS and st.mode_reason == why then
		return false -- invariant 8
	end
	st.mode = BYPASS
	st.mode_reason = cut(why)
	tr.from, tr.to = st.state, st.state
	if why ~= '' then
		tr.reason = cut('bypass by hand: ' .. why)
	else
		tr.reason = 'bypass by hand'
	end
	return true
end

-- ------------------------------------------------------------ the hash

-- The hash's fields, in the order of every reply.
local FIELDS = { 'state', 'mode', 'held', 'generation', 'consecutive_failures',
	'consecutive_successes', 'state_changed_at', 'retry_at', 'retry_boot', 'boot_id',
	'open_length', 'open_period', 'last_failure_at', 'last_success_at', 'last_exit',
	'reason', 'mode_reason', 'total_calls', 'total_successes', 'total_failures',
	'total_ignored', 'total_rejected', 'total_timeouts', 'total_slow', 'total_opens',
	'total_timed_calls', 'total_duration', 'window', 'failure_threshold',
	'success_threshold', 'recovery_timeout', 'half_open_max_calls', 'max_concurrent' }
-- The settings remembered with the breaker, as the SQLite store keeps them.
local SAVED = { 'failure_threshold', 'success_threshold', 'recovery_timeout',
	'half_open_max_calls', 'max_concurrent' }
local IS_SAVED = {}
for _, f in ipairs(SAVED) do
	IS_SAVED[f] = true
end
local TEXT = { reason = true, mode_reason = true, window = true }
-- What loading accepts: what store-redis.c's decoder accepts (its fields[]),
-- so that a hash edited by hand is refused here, before anything is
-- written, and not by the client after the script wrote (a lease kept, a
-- transition's hook lost). Where a double cannot hold C's int64 limit, the
-- bound is lower (refused here too: still before any write).
local TIME_MAX = 253402300799999
-- Two flat tables, not a table of pairs: every call builds them anew, and
-- 20 small tables cost some 3 us of server time a call (INFO commandstats).
-- A field in neither is a count: 0 to 2^62.
local LO = { last_exit = -1, boot_id = -2 ^ 53 }
local HI = { state = 2, mode = 2, held = 1, consecutive_failures = U32_MAX,
	consecutive_successes = U32_MAX, state_changed_at = TIME_MAX, retry_at = 2 * TIME_MAX,
	retry_boot = 2 * TIME_MAX, boot_id = 2 ^ 53, open_length = TIME_MAX,
	open_period = TIME_MAX, last_failure_at = TIME_MAX, last_success_at = TIME_MAX,
	last_exit = 255, failure_threshold = U32_MAX, success_threshold = U32_MAX,
	recovery_timeout = TIME_MAX, half_open_max_calls = U32_MAX, max_concurrent = U32_MAX }

-- strtoll()'s whole-string decimal: spaces before, a sign, digits, nothing
-- after (tonumber alone takes "0x10", "1e3", "5.0" and spaces after).
local function is_integer(v)
	return string.find(v, '^[ \t\n\v\f\r]*[-+]?%d+$') ~= nil
end

-- The decoder's test of a reason: at most REASON_MAX bytes, no NUL, and
-- text_utf8_valid() of escape.c (shortest forms, no surrogates, <= U+10FFFF).
local function text_valid(s)
	local n = #s
	if n > REASON_MAX then
		return false
	end
	if not string.find(s, '[%z\128-\255]') then
		return true
	end
	local i = 1
	while i <= n do
		local c = sbyte(s, i)
		local len, cp, min
		if c == 0 then
			return false
		elseif c < 0x80 then
			len = 1
		elseif c >= 0xc2 and c <= 0xdf then
			len, cp, min = 2, c - 0xc0, 0x80
		elseif c >= 0xe0 and c <= 0xef then
			len, cp, min = 3, c - 0xe0, 0x800
		elseif c >= 0xf0 and c <= 0xf4 then
			len, cp, min = 4, c - 0xf0, 0x10000
		else
			return false
		end
		if len > 1 then
			if i + len - 1 > n then
				return false
			end
			for k = 1, len - 1 do
				local b = sbyte(s, i + k)
				if b < 0x80 or b > 0xbf then
					return false
				end
				cp = cp * 64 + (b - 0x80)
			end
			if cp < min or cp > 0x10ffff or (cp >= 0xd800 and cp <= 0xdfff) then
				return false
			end
		end
		i = i + len
	end
	return true
end

-- Loads the breaker: st and saved, or nil (missing), or false and the field
-- that cannot be used.
local function load()
	local raw = redis.call('HGETALL', KEYS[1])
	if #raw == 0 then
		return nil
	end
	local h = {}
	for i = 1, #raw, 2 do
		h[raw[i]] = raw[i + 1]
	end
	-- loaded: each number as read, so that a field that did not change is
	-- written back and replied as the hash holds it, without formatting it.
	local loaded = {}
	local st, saved = { raw = h, loaded = loaded, probes_inflight = 0, calls_inflight = 0 },
		settings_init()
	for _, f in ipairs(FIELDS) do
		local v = h[f]
		if v == nil then
			return false, f
		end
		if not TEXT[f] then
			v = is_integer(v) and tonumber(v)
			if not v or v < (LO[f] or 0) or v > (HI[f] or 2 ^ 62) then
				return false, f
			end
			loaded[f] = v
		elseif f ~= 'window' and not text_valid(v) then
			return false, f
		end
		st[f] = v
	end
	for _, f in ipairs(SAVED) do
		saved[f] = st[f]
	end
	st.window_raw = st.window
	st.window = nil
	return st, saved
end

local function field_value(st, saved, f)
	if f == 'window' then
		local w = st.win
		if not w then
			return st.window_raw
		elseif w.kind == W_NONE then
			return W_NONE_BYTES
		end
		return window_encode(w)
	end
	local v = st[f]
	if IS_SAVED[f] then
		v = saved[f]
	end
	if TEXT[f] then
		return v
	end
	if st.loaded and st.loaded[f] == v then
		return st.raw[f]
	end
	return num(v)
end

-- The fields' values to write and reply, computed once, by the first of
-- save() and reply(): nothing changes the breaker after it is saved.
local function field_values(st, saved)
	if not st.values then
		local vals = {}
		for _, f in ipairs(FIELDS) do
			vals[f] = field_value(st, saved, f)
		end
		st.values = vals
	end
	return st.values
end

-- Writes the fields that changed (all of them for a new breaker).
local function save(st, saved)
	local args, old, vals = {}, st.raw or {}, field_values(st, saved)
	for _, f in ipairs(FIELDS) do
		local v = vals[f]
		if old[f] ~= v then
			args[#args + 1] = f
			args[#args + 1] = v
		end
	end
	if #args > 0 then
		redis.call('HSET', KEYS[1], unpack(args))
	end
end

-- A new breaker: a generation no breaker of this name ever had (delete.lua
-- raises the counter past a deleted one's), and its name in the index.
local function create(name, set, now)
	local st = state_init(set, now)
	st.generation = redis.call('INCR', KEYS[5])
	redis.call('SADD', KEYS[4], name)
	return st
end

local function add_history(now, tr, limit)
	redis.call('LPUSH', KEYS[3], sformat('%s|%d|%d|%s', num(now), tr.from, tr.to, tr.reason))
	redis.call('LTRIM', KEYS[3], 0, limit - 1)
end

local function read_settings()
	local a = ARGV
	return { failure_threshold = tonumber(a[2]), recovery_timeout = tonumber(a[3]),
		success_threshold = tonumber(a[4]), half_open_max_calls = tonumber(a[5]),
		window_calls = tonumber(a[6]), window_ms = tonumber(a[7]),
		failure_rate = tonumber(a[8]), min_calls = tonumber(a[9]),
		slow_call_ms = tonumber(a[10]), slow_call_rate = tonumber(a[11]),
		backoff = tonumber(a[12]), max_recovery_timeout = tonumber(a[13]),
		jitter = tonumber(a[14]), max_concurrent = tonumber(a[15]) }
end

local function saved_of(set)
	local saved = settings_init()
	for _, f in ipairs(SAVED) do
		saved[f] = set[f]
	end
	return saved
end

-- The server's clocks: the wall clock alone (no boot clock is shared by hosts).
local function make_env()
	return { now = server_now(), boot_ms = 0, boot_id = 0, jitter = tonumber(ARGV[17]) or 0 }
end

-- "ID|probe|generation|owner"
local function lease_parse(m)
	local id, probe, gen, owner = string.match(m, '^(%d+)|([01])|(%-?%d+)|(.*)$')
	return tonumber(id), probe == '1', tonumber(gen), owner
end

-- Counts the leases members into st: every call, and the probes of its generation.
local function count_members(st, members)
	st.calls_inflight, st.probes_inflight = #members, 0
	for _, m in ipairs(members) do
		local _, probe, gen = lease_parse(m)
		if probe and gen == st.generation then
			st.probes_inflight = st.probes_inflight + 1
		end
	end
end

-- Counts the live leases into st (expired ones are removed first); returns
-- the members, for a client that may free its own host's dead owners.
local function count_leases(st, now)
	redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', num(now))
	local members = redis.call('ZRANGE', KEYS[2], 0, -1)
	count_members(st, members)
	return members
end

-- The breaker of a call (admit, record): loaded, or made now with the call's
-- settings, which are then the ones remembered. nil and the bad field for a
-- hash that fails the checks.
local function load_for_call(set, now)
	local st, saved = load()
	if st == false then
		return nil, saved
	end
	local created = st == nil
	if created then
		st = create(ARGV[1], set, now)
	end
	return st, saved_of(set), created
end

-- Gives back lease id of owner; returns how many went.
local function release_lease(id, owner)
	local n = 0
	for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
		local mid, _, _, mowner = lease_parse(m)
		if mid == id and mowner == owner then
			n = n + redis.call('ZREM', KEYS[2], m)
		end
	end
	return n
end

local function b01(v)
	if v then
		return '1'
	end
	return '0'
end

-- Every operation's reply, one array (store-redis.c reads it by position):
--  1 status "ok", "notfound" or "invalid"; 2 the server's now (ms);
--  3 created; 4 transitioned; 5 from; 6 to; 7 the transition's reason (for
--  "invalid": the field that cannot be used); 8 admitted; 9 probe;
--  10 bypassed; 11 reject; 12 the decision's generation; 13 the lease taken
--  (0: none); 14 calls in flight; 15 probes in flight; 16 N, then N field and
--  value pairs of the breaker after the operation; then lease members, given
--  only when a rejection was the leases' doing.
local function reply(status, env, created, transitioned, tr, d, lease, st, saved, members)
	local r = { status, num(env.now), b01(created), b01(transitioned), num(tr.from or 0),
		num(tr.to or 0), tr.reason or '' }
	d = d or {}
	r[8] = b01(d.admitted)
	r[9] = b01(d.probe)
	r[10] = b01(d.bypassed)
	r[11] = num(d.reject or 0)
	r[12] = num(d.generation or 0)
	r[13] = num(lease or 0)
	r[14] = num(st and st.calls_inflight or 0)
	r[15] = num(st and st.probes_inflight or 0)
	if st then
		local vals = field_values(st, saved)
		r[16] = num(#FIELDS)
		for _, f in ipairs(FIELDS) do
			r[#r + 1] = f
			r[#r + 1] = vals[f]
		end
	else
		r[16] = '0'
	end
	for _, m in ipairs(members or {}) do
		r[#r + 1] = m
	end
	return r
end

local function reply_missing(status, env, field)
	return reply(status, env, false, false, { reason = field }, nil, 0, nil, nil, nil)
end
