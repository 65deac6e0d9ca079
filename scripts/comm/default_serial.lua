-- Field symptom: error 23 after a BMS board swap: the replacement BMS still carries the factory
-- default serial 3GA0016A1A0001, which the controller rejects (protocol.md 4.3, [D] DRV134).
-- Timing (issue 16; firmware.md section 5): the stock firmware raises 23 as it does 22, one poll
-- check after the boot handshake, ~1.40 s after power-on behind a 590 ms BMS wake [O].
return scenario {
  name = "Default BMS serial: error 23 at power-on, one poll check after the handshake",
  tags = { "comm", "error23", "identity", "timing", "fault" },
  run = function(t)
    t:fault("serial_default")
    t:power_on()
    local dt = t:expect_error(23, { within = 4 })
    t:measure("error23_after_power_on_s", dt, { min = 1.36, max = 1.48, unit = "s" })
    t:expect_error(23, { ["for"] = 5 })
  end,
}
