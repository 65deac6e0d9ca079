-- Field symptom: "I charged my 12S pack with the 54.6 V charger of my friend's 13S scooter and
-- it survived": the charger would push a 12S pack to 4.55 V a cell, but the BMS opens its
-- charge switch at its 4.20 V ceiling (seeds: a BMS "simply stops early" on a higher-voltage
-- charger); the cells never reach the over-voltage level.
return scenario {
  name = "13S charger on a 12S pack: the BMS stops the charge at its 4.20 V ceiling",
  tags = { "charge", "12s", "overvoltage" },
  pack = { preset = "12s3p", soc = 0.95 },
  bms = "generic_12s",
  tick_ms = 10,
  timeout = 7200,
  run = function(t)
    t:charge("13s")
    t:expect_current({ min = -2.05, max = -1.95 }, { within = 5 })   -- constant current: 2 A
    local peak = 0
    t:expect("charging stops at the ceiling", function()
      peak = math.max(peak, t:pack().max_group_v)
      return t:bms().protections.charge_full == true
    end, { within = 5400 })
    t:expect_current({ min = -0.01, max = 0.01 }, { within = 0.1, ["for"] = 60 })
    t:measure("max_cell_v_seen", peak, { min = 4.15, max = 4.25, unit = "V" })
    t:measure("pack_v_after_stop", t:voltage(), { max = 50.5, unit = "V" })
    t:expect_status("overvoltage", false)
  end,
}
