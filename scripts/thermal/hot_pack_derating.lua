-- Field symptom: "the scooter got slow on the hill in summer": above 42 C pack temperature the
-- stock controller scales its power down, to 25 % at 50 C (protocol.md 4.2, [I] derating),
-- without raising an error.
return scenario {
  name = "Hot pack: the controller derates its current limit without an error",
  tags = { "thermal", "derating" },
  pack = { soc = 0.9, temp_c = 47 },
  ambient_c = 47,
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 4 })
    t:ride { throttle = 1.0, mode = "normal" }
    t:wait(10)
    local esc = t:esc()
    t:expect_error(0)
    t:measure("derate_factor", esc.derate, { min = 0.4, max = 0.8 })
    t:measure("battery_limit_a", esc.limit_a, { max = 13, unit = "A" })
    t:expect("limit reason is derating", function() return t:esc().limit_reason == "derate" end)
    t:expect_current({ max = 13 }, { ["for"] = 5 })
  end,
}
