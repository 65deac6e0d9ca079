-- Field symptom: "battery dead, BMS shows one cell at 0 V": a balance/sense wire has broken off
-- its tab, the BMS sees an impossible cell voltage and shuts the pack down (discharge and
-- charge off, error bits set), although every cell is fine.
return scenario {
  name = "Sense wire open: BMS reads a bogus cell voltage and shuts the pack down",
  tags = { "pack", "sense", "fault" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 3 })
    t:ride { throttle = 0.4 }
    t:wait(5)
    t:group(3):sense_open()
    t:expect_protection("open_wire", true, { within = 5 })
    t:expect_status("discharge_error", true, { within = 1 })
    t:expect_powered(false, { within = 1 })
    t:measure("min_cell_reading_v", t:bms().min_cell_v, { max = 1.0, unit = "V" })
    t:measure("true_group_v", t:group(3):voltage(), { min = 3.5, unit = "V" })
  end,
}
