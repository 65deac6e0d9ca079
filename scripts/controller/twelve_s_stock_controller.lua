-- Field symptom: error 24 right after fitting a 12S "upgrade" pack to a stock M365: the
-- controller checks its own supply at boot and rejects anything above 43.0 V (protocol.md 4.3,
-- the patchers' volt_limit); a charged 12S pack sits near 49 V.
return scenario {
  name = "12S pack on a stock controller: error 24 at power-on",
  tags = { "controller", "error24", "12s" },
  pack = { preset = "12s3p", soc = 0.9 },
  bms = "generic_12s",
  run = function(t)
    t:measure("pack_v", t:voltage(), { min = 43.0, unit = "V" })
    t:power_on()
    t:expect_error(24, { within = 4 })
    t:expect_error(24, { ["for"] = 5 })
  end,
}
