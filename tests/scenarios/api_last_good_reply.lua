-- api_last_good_reply: t:last_good_reply() and t:esc().error21_since_s make "error 21 N s after
-- the last good reply" measurable; the virtual controller must match docs/controller.md
-- (25 misses: 25 x 209.5 + 104.8 ms = 5.34 s from the poll of the last counted reply, so
-- 5.30-5.34 s from the reply itself, which arrives 2.5-36 ms after its poll).
return scenario {
  name = "api: last good reply and the error 21 delay",
  run = function(t)
    assert(t:last_good_reply() == nil, "no reply before power-on")
    t:power_on()
    t:expect_error(0, { ["for"] = 4 })
    local last = t:last_good_reply()
    assert(last and last > 3 and last <= t:now(), "a recent good reply: " .. tostring(last))
    assert(t:esc().error21_since_s == nil, "no error 21 yet")
    t:fault("bms_tx", "open")
    local frozen = nil
    t:every(0.05, function(tt)
      local l = tt:last_good_reply()
      if frozen then assert(l == frozen, "no good reply counts while the wire is cut") end
      if tt:now() > last + 0.5 then frozen = l end
    end)
    t:expect_error(21, { within = 6 })
    local e21 = t:esc().error21_since_s
    local lg = t:last_good_reply()
    assert(e21 and math.abs(e21 - t:now()) < 0.002, "error21_since_s is when it showed")
    t:measure("error21_after_last_good_reply_s", e21 - lg, { min = 5.30, max = 5.345, unit = "s" })
    t:clear("bms_tx")
    t:expect_error(0, { within = 0.5 })
    assert(t:last_good_reply() > e21, "a good reply again after the repair")
    assert(t:esc().error21_since_s == nil, "error 21 gone")
  end,
}
