-- Field symptom: error 21 with a BMS that visibly answers on a scope: every reply carries a
-- wrong checksum (a faulty BMS firmware or a marginal line). The controller drops bad-checksum
-- frames silently and counts each as a missed reply; no separate error code (protocol.md 4.3).
return scenario {
  name = "Corrupt checksums: half of them is survivable, all of them is error 21",
  tags = { "comm", "error21", "checksum", "fault" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 4 })
    t:fault("corrupt_checksum", 0.5)
    t:expect_error(0, { ["for"] = 30 })
    -- observed on the BMS line (t:line(), every target): damaged frames that reached the
    -- controller's pin, which it dropped (no error above)
    t:measure("bad_frames_dropped", t:line().bad_frames_in, { min = 10 })
    t:clear("corrupt_checksum")
    t:expect("a good reply resets the miss run", function() return t:line().unanswered_run == 0 end,
             { within = 1 })
    t:fault("corrupt_checksum", 1.0)
    local dt = t:expect_error(21, { within = 8 })
    t:measure("error21_after_s", dt, { min = 5.0, max = 5.6, unit = "s" })
  end,
}
