-- Field symptom: "no brake feel from the motor at the top of the hill right after charging":
-- regen into a full pack pushes the cells past the BMS's over-voltage level, the BMS raises
-- status bit 9 (overvoltage) and the controller fades regen out instead of the BMS cutting off
-- (controllers.md 6: the BMS cannot open its switch without killing the scooter).
return scenario {
  name = "Regen on a full pack: BMS raises bit 9 and the controller fades regen to zero",
  tags = { "controller", "regen", "overvoltage" },
  pack = { preset = "10s3p", soc = 1.0 },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 3 })
    t:ride { throttle = 1.0, grade = -0.05 }    -- down a 5 % hill, full speed
    t:wait(20)
    t:ride { throttle = 0, brake = 0.5 }
    local regen = t:expect_current({ max = -2.0 }, { within = 1 })   -- regen flows at first
    t:measure("regen_starts_s", regen, { max = 1, unit = "s" })
    local ov = t:expect_status("overvoltage", true, { within = 5 })
    t:measure("bit9_after_braking_s", ov, { min = 1.5, max = 4, unit = "s" })
    t:measure("max_group_v", t:pack().max_group_v, { min = 4.25, unit = "V" })
    local fade = t:expect_current({ min = -0.1 }, { within = 3 })     -- faded out, still braking
    t:measure("regen_fade_s", fade, { min = 1, max = 2.5, unit = "s" })
    t:expect_current({ min = -0.1 }, { ["for"] = 3 })
  end,
}
