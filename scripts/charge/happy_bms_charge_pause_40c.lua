-- Field symptom: "charging stops half way on a hot day and resumes later by itself": a Happy
-- BMS pauses charging at >= 40 C and resumes near 35 C (seeds); it is not a fault.
return scenario {
  name = "Happy BMS pauses charging at 40 C and resumes near 35 C",
  tags = { "charge", "thermal", "happy_bms" },
  pack = { preset = "10s4p", soc = 0.4, temp_c = 41 },
  bms = "happy_bms",
  ambient_c = 41,
  tick_ms = 10,
  timeout = 10800,
  run = function(t)
    t:charge("stock")
    t:expect_protection("chg_temp", true, { within = 3 })
    t:expect_current({ min = -0.05, max = 0.05 }, { within = 2, ["for"] = 30 })
    t:ambient(20)   -- the owner moves it to a cool room
    local dt = t:expect_current({ max = -1.0 }, { within = 7200 })
    local temp = math.max(t:bms().t1_c, t:bms().t2_c)
    t:measure("resume_temp_c", temp, { min = 33, max = 35.5, unit = "C" })
    t:measure("pause_minutes", dt / 60, { min = 1, unit = "min" })
  end,
}
