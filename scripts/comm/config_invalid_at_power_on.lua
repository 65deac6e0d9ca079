-- Timing against the stock firmware (issue 16; firmware.md section 5): a pack whose status bit 0
-- (config valid) is clear from the start. The stock ESC 1.3.4 raises 22 one poll check after
-- its boot handshake, about 184 ms after the boot 0x30 reply, not at the handshake: 1.402 s
-- after power-on behind a BMS that wakes 590 ms after the first request [O]. The window adds
-- the boot jitter of the reply-latency model (up to three 15 ms boot retries) and the recorded
-- unit's first request 16 ms later than the emulator's (docs/controller.md).
return scenario {
  name = "Config invalid from power-on: error 22 one poll check after the handshake (~1.40 s)",
  tags = { "comm", "error22", "timing", "fault" },
  run = function(t)
    t:fault("config_invalid")
    t:power_on()
    local dt = t:expect_error(22, { within = 3 })
    t:measure("error22_after_power_on_s", dt, { min = 1.36, max = 1.48, unit = "s" })
  end,
}
