-- Field symptom (the control case for regen_full_pack.lua): on a pack that is not full the same
-- braking keeps regenerating: the controller only fades regen out when the BMS asks with bit 9.
return scenario {
  name = "Regen on an 80 % pack keeps flowing without bit 9",
  tags = { "controller", "regen" },
  pack = { preset = "10s3p", soc = 0.8 },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 3 })
    t:ride { throttle = 1.0, grade = -0.05 }
    t:wait(20)
    t:ride { throttle = 0, brake = 0.5 }
    t:expect_current({ max = -2.0 }, { within = 1 })
    t:expect_current({ max = -1.0 }, { ["for"] = 3 })
    t:expect_status("overvoltage", false)
  end,
}
