-- Stock image: the BMS stops answering at 7.8 s. Error 21 5.354 s after the last reply (25
-- missed polls), cleared 104 ms after replies resume (firmware.md section 5 [O]). The dashboard
-- reads the error word every 100 ms: up to 0.1 s (plus its reply) is added to both times.
return scenario {
  name = "stock: replies stop at 7.8 s: error 21, cleared when they resume",
  tags = { "stock", "comm", "error21" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 7.8 })
    t:fault("bms_tx", "open")
    local dt = t:expect_error(21, { within = 7 })
    -- the last reply came up to one poll (0.21 s) before the cut
    t:measure("error21_after_cut_s", dt, { min = 5.354 - 0.21 - 0.05, max = 5.354 + 0.15, unit = "s" })
    t:wait(1)
    t:clear("bms_tx")
    local rec = t:expect_error(0, { within = 1 })
    t:measure("clear_after_resume_s", rec, { min = 0.0, max = 0.104 + 0.21 + 0.12, unit = "s" })
  end,
}
