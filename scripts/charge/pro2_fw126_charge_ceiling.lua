-- Field symptom: "my Pro 2 only charges to 40.5 V since the update": BMS firmware 1.2.6 lets
-- the pack reach the full 42.0 V (this scenario); the latest firmware caps it near 40.5 V
-- (pro2_latest_charge_ceiling.lua).
return scenario {
  name = "Pro 2 BMS firmware 1.2.6 charges to the full 42.0 V",
  tags = { "charge", "pro2", "firmware" },
  pack = { preset = "10s4p", soc = 0.93 },
  bms = "pro2_fw126",
  esc = "pro2",
  tick_ms = 10,
  timeout = 14400,
  run = function(t)
    t:charge("stock")
    t:expect_current({ max = -1.0 }, { within = 5 })
    t:expect_protection("charge_full", true, { within = 10800 })
    local cells = t:bms()
    t:measure("max_cell_v_at_stop", cells.max_cell_v, { min = 4.19, max = 4.21, unit = "V" })
    t:unplug()
    t:wait(600)
    t:measure("rest_pack_v", t:voltage(), { min = 41.5, max = 42.1, unit = "V" })
  end,
}
