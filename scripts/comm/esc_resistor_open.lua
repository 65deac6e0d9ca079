-- Field symptom: error 21 that no battery swap cures: the small 0805 series resistor on the
-- controller's BMS data line has cracked open ("check the resistors on the controller", repair
-- notes in controllers.md 6). Nothing the BMS sends reaches the controller.
return scenario {
  name = "Controller's 0805 series resistor open: error 21 like a cut BMS line",
  tags = { "comm", "error21", "resistor", "fault" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 5 })
    t:fault("esc_resistor", "open")
    local dt = t:expect_error(21, { within = 6 })
    t:measure("error21_after_s", dt, { min = 5.0, max = 5.5, unit = "s" })
    t:fault("esc_resistor", 120)   -- a new 120 ohm part
    t:expect_error(0, { within = 0.5 })
  end,
}
