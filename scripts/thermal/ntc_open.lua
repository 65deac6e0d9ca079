-- Field symptom: error 39 on a cold morning that never clears: a thermistor lead has broken.
-- An open NTC reads as far below -20 C; the stock controller raises 39 when either sensor is
-- <= -20 C (protocol.md 4.3, [D] DRV143), and clears it once the reading is sane again.
return scenario {
  name = "NTC open: reads below -20 C, error 39, cleared after repair",
  tags = { "thermal", "error39", "ntc", "fault" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 4 })
    t:ntc(1):open()
    t:expect("BMS reports T1 at the bottom of its range", function() return t:bms().t1_c <= -20 end,
             { within = 2 })
    t:expect_error(39, { within = 2 })
    t:ntc(1):clear()
    t:expect_error(0, { within = 3 })
  end,
}
