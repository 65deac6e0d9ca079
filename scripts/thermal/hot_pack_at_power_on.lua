-- Field symptom: "left in the sun, the scooter switches off a second after I switch it on, with
-- no error code": the pack is at 75 C at power-on. What a real pack does: its BMS measures the
-- same thermistors it would report to the controller and opens its discharge switch once they
-- read above its limit for its delay (60 C for 1 s: fixtures/bms/m365_stock.txt [I]); the BMS
-- wakes with the scooter (power-on clears its non-latched protections), so the controller boots,
-- starts its handshake at ~0.58 s and loses its supply at ~1.0 s, while the BMS is still in its
-- 590 ms wake silence. The controller never reads the 75 C, so it never shows 39: a stock
-- controller shows 39 from power-on only while the BMS still lets current through (a
-- thermistor mismatch below the BMS's limit: ntc_mismatch_at_power_on.lua). Observed over the
-- buses only, so it runs on every target (DRV134: docs/firmware.md).
return scenario {
  name = "Pack at 75 C at power-on: the BMS cuts the controller off within 1 s, no error code",
  tags = { "thermal", "overtemp", "power_on" },
  pack = { temp_c = 75 },
  ambient_c = 75,
  run = function(t)
    t:power_on()
    local seen = {}
    local dt = t:expect("the supply cut by the BMS", function()
      seen[t:error()] = true
      return not t:powered()
    end, { within = 1.5 })
    t:measure("cut_after_power_on_s", dt, { min = 0.9, max = 1.1, unit = "s" })
    t:expect_protection("dsg_temp", true)
    t:measure("t1_c", t:bms().t1_c, { min = 70, unit = "C" })
    local line = t:line()
    t:measure("boot_requests_before_cut", line.boot_requests, { min = 1 })  -- it did boot
    t:measure("bms_replies_before_cut", line.replies, { max = 0 })          -- still waking
    t:expect("no error code was ever shown (39 needs a reply)", function() return not seen[39] end)
  end,
}
