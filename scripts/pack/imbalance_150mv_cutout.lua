-- Field symptom: "the scooter cuts out under load while the display still shows plenty of
-- battery": one group sits 150 mV below the others (seeds: pack delta > 150 mV); under full
-- throttle it sags below the BMS's cell under-voltage limit and the BMS opens the discharge
-- switch, although the pack voltage as a whole still looks healthy.
return scenario {
  name = "150 mV imbalance: cut-out under load while the pack voltage still looks fine",
  tags = { "pack", "imbalance", "cutout", "fault" },
  pack = { preset = "10s3p", soc = 0.12 },
  run = function(t)
    t:group(7):offset_mv(-150)
    t:power_on()
    t:expect_error(0, { ["for"] = 3 })
    local spread = t:pack().max_group_v - t:pack().min_group_v
    t:measure("rest_spread_mv", spread * 1000, { min = 130, max = 170, unit = "mV" })
    t:ride { throttle = 1.0, grade = 0.08 }   -- full throttle up an 8 % hill
    local last_v = t:voltage()
    local dt = t:expect("controller cut out", function()
      if t:powered() then last_v = t:voltage() end
      return not t:powered()
    end, { within = 120 })
    t:expect_protection("cell_uv", true)
    t:measure("pack_v_just_before_cutout", last_v, { min = 32, unit = "V" })   -- 3.2 V a cell on average
    t:measure("low_group_v_at_cutout", t:pack().min_group_v, { max = 3.0, unit = "V" })
    t:measure("cutout_after_s", dt, { max = 120, unit = "s" })
    -- at rest the pack still reads like a usable battery, but the low group keeps it locked
    t:stop()
    t:wait(30)
    t:measure("rest_pack_v_after_cutout", t:voltage(), { min = 34, unit = "V" })
    t:expect("the scooter cannot be switched back on", function() return not t:power_on() end)
  end,
}
