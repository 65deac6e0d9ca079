-- Timing against the stock firmware (issue 16; firmware.md section 5): thermistors 26 C apart
-- from power-on. The stock ESC 1.3.4 raises 39 at the first poll check after its boot
-- handshake, about 5 ms before where 22 or 23 would come (~1.397 s after power-on behind a
-- 590 ms BMS wake) [O]. The window is the one of config_invalid_at_power_on, 5 ms earlier.
return scenario {
  name = "NTC mismatch from power-on: error 39 at the first poll check (~1.40 s)",
  tags = { "thermal", "error39", "ntc", "timing", "fault" },
  run = function(t)
    t:ntc(1):drift(26)                 -- 26 C apart (51 C and 25 C): inside the BMS's windows
    t:power_on()
    local dt = t:expect_error(39, { within = 3 })
    t:measure("error39_after_power_on_s", dt, { min = 1.355, max = 1.475, unit = "s" })
  end,
}
