-- Field symptom: error 24 right after fitting a 12S "upgrade" pack to a stock M365, then the
-- scooter switches itself off: the controller checks its own supply at boot and rejects
-- anything above 43.0 V (protocol.md 4.3, the patchers' volt_limit); a charged 12S pack sits
-- near 49 V. It never talks to the BMS and powers itself off about 1.7 s after power-on (stock
-- image DRV134 under --firmware [O]; docs/controller.md, supply_off_ms).
return scenario {
  name = "12S pack on a stock controller: error 24 at power-on, then it switches itself off",
  tags = { "controller", "error24", "12s" },
  pack = { preset = "12s3p", soc = 0.9 },
  bms = "generic_12s",
  run = function(t)
    t:measure("pack_v", t:voltage(), { min = 43.0, unit = "V" })
    t:power_on()
    t:expect_error(24, { within = 1 })
    local off = t:now() + t:expect_powered(false, { within = 2 })
    t:measure("off_after_power_on_s", off, { min = 1.6, max = 1.8, unit = "s" })
    t:measure("bms_requests", t:line().boot_requests + t:line().polls, { max = 0 })
    t:expect_powered(false, { ["for"] = 3 })
  end,
}
