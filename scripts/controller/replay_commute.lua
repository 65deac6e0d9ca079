-- Field symptom: "the voltage drops a lot when I accelerate": replaying a ride log (rider inputs
-- over three minutes of city riding) through the controller shows the sag and the current the
-- stock limits allow, with the BMS data line healthy the whole way.
return scenario {
  name = "Replayed commute: current stays within the stock 17 A limit, no error",
  tags = { "controller", "replay" },
  pack = { preset = "10s3p", soc = 0.6 },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 3 })
    local v_rest = t:voltage()
    t:replay("../../fixtures/rides/commute_throttle.csv")
    local peak, v_min = 0, v_rest
    t:expect("the ride log plays to its end", function()
      peak = math.max(peak, t:current())
      v_min = math.min(v_min, t:voltage())
      return not t:replaying()
    end, { within = 200 })
    t:expect_error(0)
    t:measure("peak_current_a", peak, { min = 10, max = 17.5, unit = "A" })
    t:measure("max_sag_v", v_rest - v_min, { min = 0.5, max = 4, unit = "V" })
  end,
}
