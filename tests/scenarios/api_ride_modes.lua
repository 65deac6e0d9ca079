-- api_ride_modes: ride{} fields, eco mode's speed limit, braking, stop, and power off/cycle.
return scenario {
  name = "api: ride, modes, speed, power",
  pack = { soc = 0.9 },
  run = function(t)
    t:power_on()
    t:expect_error(0, { within = 4 })
    t:ride { throttle = 1.0, mode = "eco" }
    t:expect_speed({ min = 16 }, { within = 30 })
    t:expect_speed({ max = 18.5 }, { ["for"] = 10 })            -- eco limit 18 km/h [I]
    t:ride { mode = "normal" }                                  -- throttle kept
    t:expect_speed({ min = 23 }, { within = 30 })
    t:expect_current({ min = 1 })                                -- still drawing
    t:ride { throttle = 0, brake = 1 }
    t:expect_speed({ max = 0.5 }, { within = 20 })
    t:stop()
    assert(not pcall(t.ride, t, { throttle = 2 }))
    assert(not pcall(t.ride, t, { mode = "turbo" }))
    assert(not pcall(t.ride, t, { gear = 1 }))
    t:power_off()
    t:expect_powered(false)
    t:expect_current({ min = -0.01, max = 0.01 }, { within = 0.01 })
    assert(t:power_cycle(1) == true)
    t:expect_error(0, { within = 4 })
  end,
}
