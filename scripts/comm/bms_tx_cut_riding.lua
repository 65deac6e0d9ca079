-- Field symptom: error 21 (two long beeps, one short) while riding after a bump: the BMS's
-- transmit wire breaks or its connector lifts; the scooter recovers when the contact comes back.
-- The stock controller raises 21 after 25 missed polls (~5.2 s) and clears it on the next
-- good reply (protocol.md 4.2/4.2a).
return scenario {
  name = "BMS TX cut while riding: error 21 in 5.1-5.4 s, cleared on reconnect",
  tags = { "comm", "error21", "fault" },
  pack = { cell = "lg_m26", series = 10, parallel = 3, soc = 0.8, temp_c = 25 },
  bms = "m365_stock",
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 4 })
    t:ride { throttle = 0.6 }
    t:wait(10)
    t:fault("bms_tx", "open")
    local dt = t:expect_error(21, { within = 6 })
    t:measure("error21_after_s", dt, { min = 5.1, max = 5.4, unit = "s" })
    t:clear("bms_tx")
    local rec = t:expect_error(0, { within = 0.5 })
    t:measure("recovery_s", rec, { max = 0.25, unit = "s" })
  end,
}
