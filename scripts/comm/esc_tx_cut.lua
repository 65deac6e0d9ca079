-- Field symptom: error 21 with a healthy battery: the controller's own transmit wire to the BMS
-- is broken (vibration pulled it off its solder point), so the BMS never hears a poll and never
-- answers. Same 25-miss rule as a silent BMS; clears when the wire is restored.
return scenario {
  name = "ESC TX cut: the BMS hears no polls, error 21 follows, clears on repair",
  tags = { "comm", "error21", "fault" },
  pack = { soc = 0.7 },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 5 })
    t:fault("esc_tx", "open")
    local dt = t:expect_error(21, { within = 6 })
    t:measure("error21_after_s", dt, { min = 5.0, max = 5.5, unit = "s" })
    t:clear("esc_tx")
    t:expect_error(0, { within = 0.5 })
  end,
}
