-- Field symptom: "the pack will not charge in the unheated garage in winter": the stock BMS
-- refuses to charge below about 5 C (seeds: charge between ~5 C and 55 C; cold-soaked packs
-- must warm up first, to avoid lithium plating) and starts on its own once the pack is warm.
return scenario {
  name = "Charging blocked below ~5 C, starts by itself once the pack has warmed up",
  tags = { "charge", "thermal", "cold" },
  pack = { soc = 0.5, temp_c = 2 },
  ambient_c = 2,
  tick_ms = 10,
  timeout = 7200,
  run = function(t)
    t:charge("stock")
    t:expect_protection("chg_temp", true, { within = 3 })
    t:expect_current({ min = -0.05, max = 0.05 }, { within = 2, ["for"] = 60 })
    -- brought indoors: 22 C ambient; the pack warms slowly through its case
    t:ambient(22)
    local dt = t:expect_current({ max = -1.0 }, { within = 5400 })
    t:measure("minutes_until_charging", dt / 60, { min = 5, unit = "min" })
    t:measure("pack_temp_when_charging_c", t:bms().t1_c, { min = 10, max = 22, unit = "C" })
    t:expect_current({ min = -1.75, max = -1.6 }, { within = 10 })   -- the brick's 1.7 A
  end,
}
