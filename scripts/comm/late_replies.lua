-- Field symptom: a replacement BMS / emulator that "works on the bench" but throws error 21 on
-- the scooter: it answers, but too late. The controller only counts a reply that arrives before
-- its next check, ~105 ms after the poll (protocol.md 4.2); 50 ms late is fine, 150 ms is not.
return scenario {
  name = "Late replies: 50 ms late is accepted, 150 ms late counts as silence (21)",
  tags = { "comm", "error21", "timing", "fault" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 4 })
    t:fault("reply_delay", 0.050)
    t:expect_error(0, { ["for"] = 15 })
    t:fault("reply_delay", 0.150)
    local dt = t:expect_error(21, { within = 8 })
    t:measure("error21_after_s", dt, { min = 5.0, max = 5.6, unit = "s" })
    t:clear("reply_delay")
    t:expect_error(0, { within = 0.5 })
  end,
}
