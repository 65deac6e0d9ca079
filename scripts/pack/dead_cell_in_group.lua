-- Field symptom: "range halved and the voltage collapses on hills" on an old pack: one cell of
-- a parallel group has died (open), so its group holds 2/3 of the charge and sags harder under
-- load than the healthy groups.
return scenario {
  name = "Dead cell in a group: that group sags harder and empties first",
  tags = { "pack", "cell", "fault" },
  pack = { preset = "10s3p", soc = 0.6 },
  run = function(t)
    t:cell(4, 2):fail_open()
    t:power_on()
    t:expect_error(0, { ["for"] = 3 })
    local rest4, rest5 = t:group(4):voltage(), t:group(5):voltage()
    t:ride { throttle = 1.0 }
    t:wait(20)
    local sag4 = rest4 - t:group(4):voltage()
    local sag5 = rest5 - t:group(5):voltage()
    t:log(string.format("sag: group 4 %.0f mV, group 5 %.0f mV at %.1f A", sag4 * 1000, sag5 * 1000, t:current()))
    t:measure("sag_ratio_dead_vs_healthy", sag4 / sag5, { min = 1.3, unit = "x" })
    t:wait(120)
    t:measure("soc_gap_after_ride", t:group(5):soc() - t:group(4):soc(), { min = 0.01 })
  end,
}
