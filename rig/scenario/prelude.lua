-- prelude.lua: the scenario API (scenario{}, the `t` object, waits and expectations), built on
-- the engine's C primitives. Compiled into bmsrig; runs with full access before the sandbox is
-- sealed, and keeps what it needs as locals. Called as prelude(P, E): P = private helpers
-- (getinfo, coroutine, io_open), E = the engine primitives (rig/scenario/l_engine.c).
local P, E = ...
local getinfo, yield = P.getinfo, P.coroutine.yield
local isyieldable = P.coroutine.isyieldable
local io_open = P.io_open
local fmt, floor, huge = string.format, math.floor, math.huge
-- Scripts can rewrite the shared string table: checks use the original functions.
local match, type, next, setmetatable = string.match, type, next, setmetatable
local getmetatable, rawget = getmetatable, rawget
local select = select

-- Every object this API hands out has a metatable the script cannot reach: getmetatable()
-- returns PROTECTED instead, setmetatable() on it fails, and the methods live in a table of
-- their own (obj.__index is nil). So no script can add a __gc finalizer to a metatable that
-- engine-made objects share (a finalizer runs outside the instruction budget) nor rewrite
-- another object's behaviour. tests/scenarios: sandbox_gc_*.
local PROTECTED = "bmsrig: protected metatable"
local function object_mt(name, methods)
  return { __index = methods, __name = name, __metatable = PROTECTED }
end

-- The first stack level that is not this prelude nor C: the script line a call came from.
local function where(start)
  for level = start or 2, 60 do
    local info = getinfo(level, "Sl")
    if not info then break end
    if info.what ~= "C" and info.source ~= "=prelude" then
      return info.short_src .. ":" .. (info.currentline or 0)
    end
  end
  return "?"
end

local function argerror(name, msg)
  error(fmt("%s: %s", name, msg), 0)
end

local function raise(msg)  -- an error that names the scenario line, not the prelude
  error(where(2) .. ": " .. msg, 0)
end

-- The longest duration any call accepts [D]: a week of scenario time, far beyond a nightly suite
-- (and the 600 s default timeout), so 1/0, 1e9 or a value in ms instead of s is refused at the
-- call instead of freezing the engine in one endless wait.
local MAX_DURATION_S = 7 * 24 * 3600

local function check_duration(what, v)
  if type(v) ~= "number" or not (v >= 0) or v > MAX_DURATION_S then
    raise(fmt("%s must be a number of seconds in 0..%d", what, MAX_DURATION_S))
  end
end

---------------------------------------------------------------------------------------------------
-- scenario{...}: the declaration a scenario file returns.

local SCENARIO_KEYS = {
  name = "string", description = "string", tags = "table", pack = "table", bms = "string",
  esc = { "string", "table" },   -- a model name, or { model =, figures = } (scenario_decl.c)
  timeout = "number", run = "function", needs = "table",
  ambient_c = "number", tick_ms = "number",
}
local scenario_mt = { __name = "bmsrig.scenario", __metatable = PROTECTED }

-- Edit distance (insertions, deletions, substitutions, swaps of neighbours) between two short
-- names, for "did you mean" hints.
local function edit_distance(a, b)
  local la, lb = #a, #b
  local d = {}
  for i = 0, la do d[i] = { [0] = i } end
  for j = 0, lb do d[0][j] = j end
  for i = 1, la do
    for j = 1, lb do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      local v = math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if i > 1 and j > 1 and a:byte(i) == b:byte(j - 1) and a:byte(i - 1) == b:byte(j) then
        v = math.min(v, d[i - 2][j - 2] + 1)
      end
      d[i][j] = v
    end
  end
  return d[la][lb]
end

-- " (did you mean 'tags'?)" for the nearest of `names` to `word`, or "" when none is close:
-- at most a third of the word's letters wrong (one for short words), or a prefix either way.
local function did_you_mean(word, names)
  if type(word) ~= "string" then return "" end
  local best, best_d
  for _, n in ipairs(names) do
    local dist = edit_distance(word:lower(), n)
    if n:sub(1, #word) == word:lower() or word:lower():sub(1, #n) == n then dist = math.min(dist, 1) end
    if not best_d or dist < best_d then best, best_d = n, dist end
  end
  if best and best_d <= math.max(1, #word // 3) then return fmt(" (did you mean '%s'?)", best) end
  return ""
end

local function sorted_keys(t)
  local names = {}
  for k in pairs(t) do names[#names + 1] = k end
  table.sort(names)
  return names
end

-- `return scenario{...}` is a tail call, so the file's own frame is gone by the time we look:
-- name the line of the declaration's run function instead (the C side fills in "?" otherwise).
local function decl_where(d)
  local loc = where(2)
  if loc == "?" and type(d) == "table" and type(d.run) == "function" then
    local info = getinfo(d.run, "S")
    loc = info.short_src .. ":" .. info.linedefined
  end
  return loc
end

-- A copy of a declaration table made with raw access only (no __index, __pairs or other
-- metamethods of the script's), so the engine's C code reads plain tables that cannot raise
-- or loop behind its back.
local function plain_copy(t, depth, raise)
  local c = {}
  for k, v in next, t do
    if type(v) == "table" then
      if depth >= 4 then raise("scenario: declaration tables nest too deep") end
      v = plain_copy(v, depth + 1, raise)
    end
    c[k] = v
  end
  return c
end

function scenario(d)
  local loc = decl_where(d)
  local function raise(msg) error(loc .. ": " .. msg, 0) end
  if type(d) ~= "table" then raise("scenario{...} expects a table") end
  d = plain_copy(d, 1, raise)
  for k, v in next, d do
    local want = SCENARIO_KEYS[k]
    if not want then
      local names = sorted_keys(SCENARIO_KEYS)
      raise(fmt("scenario: unknown field '%s'%s; the fields are %s", tostring(k),
                did_you_mean(k, names), table.concat(names, ", ")))
    end
    local types = type(want) == "table" and want or { want }
    local typed = false
    for _, w in ipairs(types) do typed = typed or type(v) == w end
    if not typed then
      raise(fmt("scenario: field '%s' must be a %s, got %s", k, table.concat(types, " or "),
                type(v)))
    end
  end
  if not d.name or d.name == "" then raise("scenario: 'name' is required") end
  if not d.run then raise("scenario: 'run' (a function taking t) is required") end
  for i, tag in ipairs(d.tags or {}) do
    if type(tag) ~= "string" or not match(tag, "^[%w_%-]+$") then
      raise(fmt("scenario: tag #%d must be a word (letters, digits, _ or -)", i))
    end
  end
  if d.timeout and not (d.timeout > 0 and d.timeout <= MAX_DURATION_S) then
    raise(fmt("scenario: 'timeout' must be > 0 s and at most %d s", MAX_DURATION_S))
  end
  for i, need in ipairs(d.needs or {}) do
    if type(need) ~= "string" then raise(fmt("scenario: needs #%d must be a capability name", i)) end
  end
  d.where = loc
  return setmetatable(d, scenario_mt)
end

---------------------------------------------------------------------------------------------------
-- Structured errors the engine understands (everything else is a script error).

local function fail(message)
  error({ bmsrig = "fail", message = message }, 0)
end

local function skip(reason)
  error({ bmsrig = "skip", message = reason }, 0)
end

---------------------------------------------------------------------------------------------------
-- Waiting and expectations. Only wait and expect_* yield; each yield asks the engine to advance
-- that many ticks.

local T = {}
local T_mt = object_mt("bmsrig.t", T)

local EPS = 1e-9

function T:now() return E.now() end
function T:tick() return E.tick_s() end

-- Periodic hooks (t:every, t:on_tick): run between the engine's ticks while the scenario waits
-- or expects. Without hooks a wait is one yield of many ticks; with hooks it is cut at each
-- hook's next due time.
local hooks = {}        -- { t = the scenario's t, dt = s, next = s, fn = function, live = bool }
local in_hook = false

local function run_due_hooks()
  local now = E.now()
  for _, h in ipairs(hooks) do
    if h.live and now >= h.next - EPS then
      -- catch up by whole periods: a hook runs once per due time, never twice in one tick
      repeat h.next = h.next + h.dt until h.next > now + EPS
      in_hook = true
      local keep = h.fn(h.t, now)
      in_hook = false
      if keep == false then h.live = false end
    end
  end
  local j = 0
  for i = 1, #hooks do
    if hooks[i].live then j = j + 1; hooks[j] = hooks[i] end
  end
  for i = j + 1, #hooks do hooks[i] = nil end
end

-- Refuses to make time pass where it cannot: in a periodic hook, or in a predicate (an
-- expectation's function, tested after a tick from E.test/E.wait_until, where no yield can
-- cross; so also in a callback a C library function makes, as table.sort's comparator).
local function check_can_wait(api)
  if in_hook then
    raise(fmt("%s: a t:every/t:on_tick hook cannot wait or expect (it runs between ticks)", api))
  end
  if not isyieldable() then
    raise(fmt("%s: cannot make time pass here: a predicate (an expectation's function) is "
              .. "tested after a tick in no time of its own, as is a callback a library "
              .. "function makes (table.sort's comparator)", api))
  end
end

-- Advances the engine by `ticks` ticks, running hooks when they fall due.
local function advance(ticks, api)
  check_can_wait(api)
  if #hooks == 0 then
    yield(ticks)
    return
  end
  local tick = E.tick_s()
  while ticks > 0 do
    local soonest = huge
    for _, h in ipairs(hooks) do
      if h.live and h.next < soonest then soonest = h.next end
    end
    local step = ticks
    if soonest < huge then
      local until_due = floor((soonest - E.now()) / tick + 0.5)
      if until_due < 1 then until_due = 1 end
      if until_due < step then step = until_due end
    end
    yield(step)
    ticks = ticks - step
    run_due_hooks()
    if #hooks == 0 and ticks > 0 then
      yield(ticks)
      return
    end
  end
end

-- t:every(dt, fn): calls fn(t, now) every dt seconds of scenario time from now + dt, while the
-- scenario waits or expects; fn returning false stops it, as does the returned function.
function T:every(dt, fn)
  if type(dt) ~= "number" or not (dt > 0) or dt > MAX_DURATION_S then
    raise(fmt("every: period must be a number of seconds in (0, %d]", MAX_DURATION_S))
  end
  if type(fn) ~= "function" then raise("every: give a function(t, now) to call") end
  local tick = E.tick_s()
  if dt < tick - EPS then
    raise(fmt("every: period %g s is shorter than the tick (%g s); use t:on_tick(fn)", dt, tick))
  end
  local h = { t = self, dt = dt, next = E.now() + dt, fn = fn, live = true }
  hooks[#hooks + 1] = h
  return function() h.live = false end
end

-- t:on_tick(fn): calls fn(t, now) after every tick while the scenario waits or expects.
function T:on_tick(fn)
  if type(fn) ~= "function" then raise("on_tick: give a function(t, now) to call") end
  return self:every(E.tick_s(), fn)
end

-- How many ticks may pass before `left` seconds are used up, one tick short so that rounding
-- can never carry a tick past a deadline the script tests itself.
local function ticks_before(left)
  return floor(left / E.tick_s()) - 1
end

-- Advances up to n ticks while a built-in expectation waits: the engine evaluates `cond` (a
-- plain table, rig/scenario/condition.h) after each tick and stops after the first tick where it
-- is `stop_on`; the caller then tests its own predicate, as it would have after that tick.
-- Without a condition, with hooks to run, or for fewer than two ticks: one tick, as before.
local function advance_until(n, cond, stop_on, api)
  if cond and n >= 2 and #hooks == 0 and not in_hook then
    check_can_wait(api)
    yield(n, cond, stop_on)
  else
    advance(1, api)
  end
end

function T:wait(seconds)
  check_duration("wait: seconds", seconds)
  local ticks = floor(seconds / E.tick_s() + 0.5)
  if ticks > 0 then advance(ticks, "wait") end
end

local function check_opts(name, opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then raise(name .. ": options must be a table {within=, after=, for=}") end
  for k, v in pairs(opts) do
    if k ~= "within" and k ~= "after" and k ~= "for" then
      raise(fmt("%s: unknown option '%s' (within, after, for)", name, tostring(k)))
    end
    check_duration(fmt("%s: '%s'", name, k), v)
  end
  if opts.after and not opts.within then
    raise(name .. ": 'after' needs 'within' (the window is after..within)")
  end
  if opts.after and opts.within and opts.after > opts.within then
    raise(name .. ": 'after' is later than 'within'")
  end
  return opts
end

-- The core: pred() must become true within `within` s (default: now), not before `after` s,
-- and then hold for `for` s. Returns the seconds it took to become true. `cond`, when given, is
-- pred in a form the engine evaluates between ticks (condition.h), so waiting does not resume
-- the script every tick; pred stays the judge at every tick the script sees.
local test_pred, wait_until = E.test, E.wait_until

-- A script predicate's value after up to n ticks: the engine runs the ticks and tests pred after
-- each (E.wait_until), stopping after the first tick where its truth is stop_on; pred is called
-- once per tick, as the tick-by-tick loop calls it. Used without a condition, when no periodic
-- hook needs running between ticks and for two ticks or more; otherwise one tick, then pred.
local function advance_pred(n, pred, stop_on, api)
  if n and n >= 2 and #hooks == 0 and not in_hook then
    check_can_wait(api)
    return wait_until(n, pred, stop_on)
  end
  if #hooks == 0 and not in_hook then
    check_can_wait(api)
    yield(1)   -- advance(1) without hooks: the one tick a predicate's test needs
  else
    advance(1, api)
  end
  return test_pred(pred)
end

local function expect_core(what, pred, observe, opts, api, cond)
  opts = check_opts(api, opts)
  local loc = where(2)
  local within, after, hold = opts.within or 0, opts.after, opts["for"]
  local t0 = E.now()
  local function obs()
    if not observe then return "" end
    local ok, v = pcall(observe)
    return ok and tostring(v) or "?"
  end
  local function failed(msg)
    local o = obs()
    local m = o ~= "" and fmt("%s: %s: %s (t=%.3f s, observed %s)", loc, what, msg, E.now(), o)
              or fmt("%s: %s: %s (t=%.3f s)", loc, what, msg, E.now())
    E.record_expect(false, what, loc, E.now(), o, m, t0)
    fail(m)
  end
  local ok = test_pred(pred)
  while true do
    local el = E.now() - t0
    if ok then
      if after and el < after - EPS then
        failed(fmt("became true after %.3f s, earlier than %.3f s", el, after))
      end
      break
    end
    if el >= within - EPS then
      if within == 0 then failed("false") end
      failed(fmt("still false after %.3f s", within))
    end
    if cond then
      advance_until(ticks_before(within - EPS - el), cond, true, api)
      ok = test_pred(pred)
    else
      ok = advance_pred(ticks_before(within - EPS - el), pred, true, api)
    end
  end
  local t_true = E.now() - t0
  if hold and hold > 0 then
    local t1 = E.now()
    while E.now() - t1 < hold - EPS do
      local n = ticks_before(hold - EPS - (E.now() - t1))
      if cond then
        advance_until(n, cond, false, api)
        ok = test_pred(pred)
      else
        ok = advance_pred(n, pred, false, api)
      end
      if not ok then
        failed(fmt("held %.3f s of %.3f s", E.now() - t1, hold))
      end
    end
  end
  E.record_expect(true, what, loc, E.now(), obs(), "", t0)
  return t_true
end

function T:expect(what, pred, opts)
  if type(what) == "function" then what, pred, opts = "predicate", what, pred end
  if type(what) ~= "string" or type(pred) ~= "function" then
    raise("expect: use t:expect('what', function() return ... end, {within=, after=, for=})")
  end
  return expect_core(what, function() return pred() and true or false end, nil, opts, "expect")
end

local function range_text(r)
  if r.min and r.max then return fmt("in [%g, %g]", r.min, r.max) end
  if r.min then return fmt(">= %g", r.min) end
  return fmt("<= %g", r.max)
end

local function check_range(api, r)
  if type(r) ~= "table" or (r.min == nil and r.max == nil) then
    raise(api .. ": give a range {min=, max=}")
  end
  return r
end

-- A range table as a condition's bounds: only when it is a plain table (no metatable) with
-- numeric or absent bounds; otherwise nil, and the predicate runs after every tick.
local function plain_bounds(r, cond)
  if getmetatable(r) ~= nil then return nil end
  local lo, hi = r.min, r.max
  if (lo ~= nil and type(lo) ~= "number") or (hi ~= nil and type(hi) ~= "number") then return nil end
  cond.min, cond.max = lo, hi
  return cond
end

local function in_range(v, r)
  return (r.min == nil or v >= r.min) and (r.max == nil or v <= r.max)
end

function T:expect_error(code, opts)
  if math.type(code) ~= "integer" or code < 0 then raise("expect_error: code must be an integer >= 0") end
  local what = code == 0 and "no error" or fmt("error %d", code)
  return expect_core(what, function() return E.esc_error() == code end,
                     function() return "error " .. E.esc_error() end, opts, "expect_error",
                     { kind = "error", code = code })
end

function T:expect_current(range, opts)
  check_range("expect_current", range)
  return expect_core("battery current " .. range_text(range) .. " A",
                     function() return in_range(E.pack_current(), range) end,
                     function() return fmt("%.3f A", E.pack_current()) end, opts, "expect_current",
                     plain_bounds(range, { kind = "current" }))
end

function T:expect_voltage(range, opts)
  check_range("expect_voltage", range)
  return expect_core("pack voltage " .. range_text(range) .. " V",
                     function() return in_range(E.pack_voltage(), range) end,
                     function() return fmt("%.3f V", E.pack_voltage()) end, opts, "expect_voltage",
                     plain_bounds(range, { kind = "voltage" }))
end

function T:expect_speed(range, opts)
  check_range("expect_speed", range)
  return expect_core("speed " .. range_text(range) .. " km/h",
                     function() return in_range(E.esc_speed(), range) end,
                     function() return fmt("%.2f km/h", E.esc_speed()) end, opts, "expect_speed",
                     plain_bounds(range, { kind = "speed" }))
end

-- expect_status("overvoltage", true) : a named bit of the BMS status word (or a bit number).
function T:expect_status(bit, value, opts)
  local mask = E.status_mask(bit)
  if value == nil then value = true end
  local what = fmt("BMS status bit %s %s", tostring(bit), value and "set" or "clear")
  return expect_core(what, function() return ((E.bms_status() & mask) ~= 0) == value end,
                     function() return fmt("status 0x%04X", E.bms_status()) end, opts, "expect_status",
                     type(value) == "boolean" and { kind = "status", mask = mask, value = value } or nil)
end

-- expect_reg("bms"|"esc", word, value | {min=,max=} | function(v) ... end, opts)
function T:expect_reg(image, word, want, opts)
  if image ~= "bms" and image ~= "esc" then raise("expect_reg: image must be 'bms' or 'esc'") end
  if math.type(word) ~= "integer" then raise("expect_reg: word must be an integer") end
  local get = function() return E.reg(image, word) end
  local test, txt, cond
  if type(want) == "number" then
    test, txt = function(v) return v == want end, fmt("== 0x%04X", want)
    cond = { kind = "reg", image = image, word = word, eq = want }
  elseif type(want) == "table" then
    check_range("expect_reg", want)
    test, txt = function(v) return in_range(v, want) end, range_text(want)
    cond = plain_bounds(want, { kind = "reg", image = image, word = word })
  elseif type(want) == "function" then
    test, txt = want, "matches"
  else
    raise("expect_reg: want a value, a {min=,max=} range or a function")
  end
  return expect_core(fmt("%s word 0x%02X %s", image, word, txt), function() return test(get()) end,
                     function() return fmt("0x%04X", get()) end, opts, "expect_reg", cond)
end

-- expect_silence(line, {for=s, within=s}): no byte on that line for `for` seconds, the quiet
-- period starting within `within` seconds (default: at once).
function T:expect_silence(line, opts)
  if line ~= "esc_tx" and line ~= "bms_tx" then raise("expect_silence: line must be 'esc_tx' or 'bms_tx'") end
  opts = check_opts("expect_silence", opts)
  local hold, within = opts["for"], opts.within or 0
  if not hold then raise("expect_silence: give {for = seconds} (and optionally within)") end
  local loc = where(2)
  local what = fmt("%s silent for %g s", line, hold)
  local t0 = E.now()
  local count, quiet_since = E.bytes(line), t0
  while true do
    local b = E.bytes(line)
    if b ~= count then count, quiet_since = b, E.now() end
    if E.now() - quiet_since >= hold - EPS then break end
    if quiet_since - t0 > within + EPS then
      local m = fmt("%s: %s: a byte at %.3f s after the start, later than %.3f s (t=%.3f s, observed %d bytes)",
                    loc, what, quiet_since - t0, within, E.now(), count)
      E.record_expect(false, what, loc, E.now(), tostring(count) .. " bytes", m, t0)
      fail(m)
    end
    -- quiet until the next byte or until the hold is nearly over: the engine watches the count
    advance_until(ticks_before(hold - EPS - (E.now() - quiet_since)),
                  { kind = "bytes_moved", line = line, count = count }, true, "expect_silence")
  end
  E.record_expect(true, what, loc, E.now(), tostring(count) .. " bytes", "", t0)
  return quiet_since - t0
end

---------------------------------------------------------------------------------------------------
-- Measurements, logging, skipping, output files.

function T:measure(name, value, limits)
  if type(name) ~= "string" or name == "" then raise("measure: name must be a string") end
  if #name > 200 then raise(fmt("measure: name is %d bytes (at most 200)", #name)) end
  if type(value) ~= "number" then raise(fmt("measure '%s': value must be a number, got %s", name, type(value))) end
  if value ~= value or value == huge or value == -huge then
    raise(fmt("measure '%s': value must be finite, got %s", name, tostring(value)))
  end
  limits = limits or {}
  if type(limits) ~= "table" then raise("measure: limits must be a table {min=, max=, unit=}") end
  local ok = in_range(value, limits)
  E.record_measure(name, value, limits.min, limits.max, limits.unit or "", ok, where(2))
  return value
end

function T:log(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  E.log(table.concat(parts, " ", 1, parts.n))
end

function T:skip(reason)
  skip(tostring(reason or "skipped by the scenario"))
end

function T:fail(message)
  local loc = where(2)
  local m = fmt("%s: %s", loc, tostring(message))
  E.record_expect(false, "t:fail", loc, E.now(), "", m)
  fail(m)
end

-- t:output() hands out a proxy, not the io library's file handle: the handle's metatable (shared
-- by every open file, with its own __gc) must stay out of reach. The proxy keeps the methods a
-- writer needs; the handle sits in a weak table only the prelude sees, and is closed by its own
-- finalizer once the proxy is gone.
local OUTPUT = {}
local OUTPUT_mt = object_mt("bmsrig.output", OUTPUT)
local output_file = setmetatable({}, { __mode = "k", __metatable = PROTECTED })
local function out_file(self)
  local f = output_file[self]
  if not f then raise("output: not an output file handle") end
  return f
end
-- A file method's results, the proxy in place of the handle (so f:write(a):write(b) chains).
local function proxied(self, f, ...)
  if select("#", ...) >= 1 and select(1, ...) == f then return self, select(2, ...) end
  return ...
end
function OUTPUT:write(...) local f = out_file(self) return proxied(self, f, f:write(...)) end
function OUTPUT:flush() local f = out_file(self) return proxied(self, f, f:flush()) end
function OUTPUT:close() return out_file(self):close() end
function OUTPUT:seek(...) return out_file(self):seek(...) end
function OUTPUT:setvbuf(...) return out_file(self):setvbuf(...) end
OUTPUT_mt.__close = function(self) local f = output_file[self] if f then f:close() end end
OUTPUT_mt.__tostring = function(self) return "bmsrig output " .. tostring(output_file[self]) end

function T:output(name)
  if type(name) ~= "string" or not match(name, "^[%w_%-][%w_%.%-]*$") then
    raise("output: name must be a plain file name (letters, digits, _ . -)")
  end
  local dir = E.output_dir()
  if not dir then raise("output: this run has no output folder (use --trace DIR)") end
  local f, err = io_open(dir .. "/" .. name, "w")
  if not f then raise("output: " .. tostring(err)) end
  local h = setmetatable({}, OUTPUT_mt)
  output_file[h] = f
  return h
end

---------------------------------------------------------------------------------------------------
-- Engine commands: thin wrappers over the C primitives, which check their own arguments.

-- Installed as methods directly (not wrapped), so their argument errors name the script line.
for name, fn in pairs(E.commands) do
  if T[name] == nil then T[name] = fn end
end

---------------------------------------------------------------------------------------------------
-- Conveniences over the commands.

function T:power_cycle(off_s)
  off_s = off_s or 2
  check_duration("power_cycle: off time", off_s)
  self:power_off()
  self:wait(off_s)
  return self:power_on()
end

function T:stop() self:ride { throttle = 0, brake = 0 } end

-- t:last_good_reply(): scenario time (s) of the last BMS reply the controller counted, or nil
function T:last_good_reply() return self:esc().last_good_reply_s end

-- True when `self` is a t whose `name` resolves to the prelude's own method (not a field the
-- script set on it), so the engine may evaluate the method's value itself.
local function own_method(self, name)
  return getmetatable(self) == PROTECTED and rawget(self, name) == nil
end

function T:expect_powered(want, opts)
  if want == nil then want = true end
  return expect_core(want and "controller powered" or "controller off",
                     function() return self:powered() == want end,
                     function() return self:powered() and "on" or "off" end, opts, "expect_powered",
                     type(want) == "boolean" and own_method(self, "powered")
                       and { kind = "powered", value = want } or nil)
end

-- expect_protection("cell_uv", true, {within=}): a BMS protection flag (names as t:bms().protections)
function T:expect_protection(name, want, opts)
  if type(name) ~= "string" then raise("expect_protection: give a protection name") end
  local mask = E.check_protection(name)
  if want == nil then want = true end
  return expect_core(fmt("BMS protection %s %s", name, want and "active" or "inactive"),
                     function() return (self:bms().protections[name] or false) == want end,
                     function()
                       local names = {}
                       for k in pairs(self:bms().protections) do names[#names + 1] = k end
                       table.sort(names)
                       return "{" .. table.concat(names, ",") .. "}"
                     end, opts, "expect_protection",
                     type(want) == "boolean" and own_method(self, "bms")
                       and { kind = "protection", mask = mask, value = want } or nil)
end

---------------------------------------------------------------------------------------------------
-- Pack access: t:group(g), t:cell(g, k), t:ntc(k) (1-based), each a small handle.

local GROUP, CELL, NTC = {}, {}, {}
local GROUP_mt = object_mt("bmsrig.group", GROUP)
local CELL_mt = object_mt("bmsrig.cell", CELL)
local NTC_mt = object_mt("bmsrig.ntc", NTC)

function T:group(g)
  E.group(g)  -- checks the index
  return setmetatable({ g = g, t = self }, GROUP_mt)
end
function GROUP:voltage() return E.group(self.g).v end
function GROUP:sense_voltage() return E.group(self.g).sense_v end
function GROUP:soc() return E.group(self.g).soc end
function GROUP:bleeding() return E.group(self.g).bleed end
function GROUP:temp()
  local sum, n = 0, self.t:pack().parallel
  for k = 1, n do sum = sum + E.cell(self.g, k).temp_c end
  return sum / n
end
function GROUP:offset_soc(dsoc) E.pack_fault("group_soc", self.g, nil, dsoc) end
function GROUP:offset_mv(mv) E.pack_fault("group_mv", self.g, nil, mv / 1000) end
function GROUP:weaken(o)
  o = o or {}
  for k = 1, self.t:pack().parallel do
    E.pack_fault("cell_weak", self.g, k, o.capacity or 1, o.resistance or 1)
  end
end
-- A short needs a resistance > 0 ohm: the pack model reads 0 as "no short", so short(0), which a
-- user means as a dead short, would silently clear it; mend a short with short(1/0).
local function check_short(ohms)
  if type(ohms) ~= "number" or not (ohms > 0) then
    raise("short: resistance must be a number > 0 ohm (1/0 removes the short)")
  end
end
function GROUP:short(ohms) check_short(ohms) E.pack_fault("cell_short", self.g, 1, ohms) end
function GROUP:sense_open(open) E.pack_fault("sense_open", self.g, nil, open == false and 0 or 1) end
function GROUP:sense_leak(ohms) E.pack_fault("sense_leak", self.g, nil, ohms) end
function GROUP:moisture(ohms) E.pack_fault("moisture", self.g, nil, ohms) end
function GROUP:top_up(ah) E.group_charge(self.g, ah) end

function T:cell(g, k)
  E.cell(g, k)
  return setmetatable({ g = g, k = k }, CELL_mt)
end
function CELL:soc() return E.cell(self.g, self.k).soc end
function CELL:temp() return E.cell(self.g, self.k).temp_c end
function CELL:current() return E.cell(self.g, self.k).current_a end
function CELL:ocv() return E.cell(self.g, self.k).ocv end
function CELL:fail_open() E.pack_fault("cell_open", self.g, self.k, 1) end
function CELL:mend() E.pack_fault("cell_open", self.g, self.k, 0) end
function CELL:short(ohms) check_short(ohms) E.pack_fault("cell_short", self.g, self.k, ohms) end
function CELL:weaken(o)
  o = o or {}
  E.pack_fault("cell_weak", self.g, self.k, o.capacity or 1, o.resistance or 1)
end

local NTC_OPEN, NTC_SHORT, NTC_DRIFT, NTC_INTERMITTENT, NTC_FIXED = 1, 2, 3, 4, 5
local NTC_FIXED_MIN_C, NTC_FIXED_MAX_C = -40, 125  -- sim/ntc.h NTC_FIXED_*
function T:ntc(k)
  E.ntc(k)
  return setmetatable({ k = k }, NTC_mt)
end
function NTC:temp() return E.ntc(self.k).temp_c end
function NTC:true_temp() return E.ntc(self.k).true_temp_c end
function NTC:open() E.pack_fault("ntc", self.k, nil, NTC_OPEN, 0) end
function NTC:short() E.pack_fault("ntc", self.k, nil, NTC_SHORT, 0) end
function NTC:drift(c) E.pack_fault("ntc", self.k, nil, NTC_DRIFT, c) end
function NTC:intermittent(p) E.pack_fault("ntc", self.k, nil, NTC_INTERMITTENT, p) end
-- set_c(c): the sensor reads c deg C from now on, whatever the cells do (drift(dc) is relative)
function NTC:set_c(c)
  if type(c) ~= "number" or not (c >= NTC_FIXED_MIN_C and c <= NTC_FIXED_MAX_C) then
    raise(fmt("ntc(%d):set_c: temperature must be a number in %d..%d C", self.k,
              NTC_FIXED_MIN_C, NTC_FIXED_MAX_C))
  end
  E.pack_fault("ntc", self.k, nil, NTC_FIXED, c)
end
function NTC:clear() E.pack_fault("ntc", self.k, nil, 0, 0) end

---------------------------------------------------------------------------------------------------
-- Handles answer a name they do not have with an error naming the handle and its methods
-- ("t:group(3) has no method 'offset' (did you mean 'offset_mv'?); its methods: ..."), instead of
-- Lua's "attempt to call a nil value (method 'offset')".

local function strict_index(methods, describe)
  local names
  return function(self, key)
    local m = rawget(methods, key)
    if m ~= nil then return m end
    if not names then
      names = {}
      for k, v in pairs(methods) do
        if type(k) == "string" and type(v) == "function" and not match(k, "^__") then
          names[#names + 1] = k
        end
      end
      table.sort(names)
    end
    raise(fmt("%s has no method '%s'%s; its methods: %s", describe(self), tostring(key),
              did_you_mean(key, names), table.concat(names, ", ")))
  end
end
-- (on the protected metatables: the method tables themselves stay plain tables, except T's)
-- t's methods are looked up on every engine call a scenario makes, often every tick inside a
-- predicate: t's metatable indexes T as a table (a raw lookup, no Lua call) and only a name T
-- lacks reaches the strict handler, as T's own protected metatable.
local t_strict = strict_index(T, function() return "t" end)
T_mt.__index = T
setmetatable(T, { __index = function(_, key) return t_strict(nil, key) end,
                  __metatable = PROTECTED })
GROUP_mt.__index = strict_index(GROUP, function(h) return fmt("t:group(%d)", h.g) end)
CELL_mt.__index = strict_index(CELL, function(h) return fmt("t:cell(%d, %d)", h.g, h.k) end)
NTC_mt.__index = strict_index(NTC, function(h) return fmt("t:ntc(%d)", h.k) end)

---------------------------------------------------------------------------------------------------
-- The runner the engine starts as a coroutine.

local function run(decl)
  local t = setmetatable({ name = decl.name }, T_mt)
  decl.run(t)
end

return { run = run, T = T }
