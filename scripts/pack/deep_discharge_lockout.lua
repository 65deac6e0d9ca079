-- Field symptom: "a pack left for months at 3.0 V a cell refuses to charge" (seeds: treat it
-- as the normal deep-discharge guardrail): the BMS locks both switches below ~3.0 V a cell.
-- The gentle recovery: top each group up on its own (a TP4056 board or a bench supply per
-- group) until it is above the release level, then the normal charger works again.
return scenario {
  name = "Deep discharge lockout refuses charge; gentle per-group top-up recovers it",
  tags = { "pack", "lockout", "charge" },
  pack = { preset = "10s3p", soc = 0.025 },
  tick_ms = 10,
  run = function(t)
    t:expect_protection("deep_uv", true, { within = 10 })
    t:expect_status("deep_undervoltage", true)
    t:expect("controller cannot be switched on", function() return not t:power_on() end)
    t:charge("stock")
    t:expect_current({ min = -0.05, max = 0.05 }, { ["for"] = 60 })
    t:unplug()
    for g = 1, 10 do t:group(g):top_up(0.25) end   -- 0.25 Ah a group, gently
    t:expect_protection("deep_uv", false, { within = 10 })
    t:measure("min_group_v_after_top_up", t:pack().min_group_v, { min = 3.3, unit = "V" })
    t:charge("stock")
    t:expect_current({ min = -1.75, max = -1.6 }, { within = 5, ["for"] = 60 })
  end,
}
