-- Field symptom: "the app shows 0 % but the scooter keeps going for kilometres": on a large
-- pack the Happy BMS's coulomb counter saturates near 32 Ah while about 3 Ah remain (seeds), so
-- after 32 Ah are used it reports empty with real charge left.
return scenario {
  name = "Happy BMS coulomb counter saturates at 32 Ah: 0 % shown with ~3 Ah left",
  tags = { "charge", "soc", "happy_bms" },
  pack = { preset = "10s8p", cell_ah = 4.4, soc = 1.0 },   -- ~35 Ah of big cells
  bms = "happy_bms",
  tick_ms = 20,
  timeout = 14400,
  run = function(t)
    t:expect("output off until a charger was seen once", function() return not t:bms().discharge end)
    t:charge("stock"); t:wait(1); t:unplug()   -- the wake-up pulse (seeds)
    t:expect("output on after the charger pulse", function() return t:bms().discharge end, { within = 1 })
    local t0 = t:now()
    t:measure("counter_full_mah", t:bms().remaining_mah, { min = 31900, max = 32000, unit = "mAh" })
    t:replay("../../fixtures/rides/constant_20a.csv")
    t:expect("BMS shows 0 %", function() return t:bms().soc_pct == 0 end, { within = 7000 })
    local used_ah = (t:now() - t0) * 20 / 3600
    t:measure("ah_used_when_empty_shown", used_ah, { min = 31, max = 32.5, unit = "Ah" })
    local left_ah = t:pack().soc * 35.2
    t:measure("ah_left_when_empty_shown", left_ah, { min = 2.0, max = 4.0, unit = "Ah" })
    t:expect_voltage({ min = 33 })
  end,
}
