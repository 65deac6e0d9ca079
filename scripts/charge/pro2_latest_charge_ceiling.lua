-- Field symptom: "my Pro 2 only charges to 40.5 V since the update": the latest Pro 2 BMS
-- firmware stops charging near 4.05 V a cell, about 40.5 V, so the range drops; firmware
-- 1.2.6 charges to 42.0 V (pro2_fw126_charge_ceiling.lua).
return scenario {
  name = "Pro 2 latest BMS firmware caps the charge near 40.5 V",
  tags = { "charge", "pro2", "firmware" },
  pack = { preset = "10s4p", soc = 0.85 },
  bms = "pro2_latest",
  esc = "pro2",
  tick_ms = 10,
  timeout = 14400,
  run = function(t)
    t:charge("stock")
    t:expect_current({ max = -1.0 }, { within = 5 })
    t:expect_protection("charge_full", true, { within = 10800 })
    t:measure("max_cell_v_at_stop", t:bms().max_cell_v, { min = 4.04, max = 4.06, unit = "V" })
    t:unplug()
    t:wait(600)
    t:measure("rest_pack_v", t:voltage(), { min = 39.8, max = 40.6, unit = "V" })
  end,
}
