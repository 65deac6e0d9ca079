-- Field symptom: error 39 on a warm day with both sensors "working": one thermistor has
-- drifted (cracked bead, replaced with the wrong part) and the two readings differ by more than
-- 20 C, which the controller treats as a sensor fault (protocol.md 4.3).
return scenario {
  name = "NTC mismatch: sensors more than 20 C apart give error 39",
  tags = { "thermal", "error39", "ntc", "fault" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 4 })
    t:ntc(1):drift(15)                 -- 15 C apart: still accepted
    t:expect_error(0, { ["for"] = 5 })
    t:ntc(1):drift(26)                 -- 26 C apart: rejected
    t:expect_error(39, { within = 2 })
    local b = t:bms()
    t:measure("sensor_spread_c", math.abs(b.t1_c - b.t2_c), { min = 21, unit = "C" })
  end,
}
