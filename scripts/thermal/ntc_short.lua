-- Field symptom: error 39 and "battery overheating" on a pack that is cool to the touch: the
-- thermistor leads touch (crushed sensor), so it reads as extremely hot (>= 70 C gives 39).
return scenario {
  name = "NTC short: reads >= 70 C on a cool pack, error 39",
  tags = { "thermal", "error39", "ntc", "fault" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 4 })
    t:ntc(2):short()
    t:expect("BMS reports T2 >= 70 C", function() return t:bms().t2_c >= 70 end, { within = 2 })
    t:measure("true_pack_temp_c", t:ntc(2):true_temp(), { max = 35, unit = "C" })
    t:expect_error(39, { within = 2 })
  end,
}
