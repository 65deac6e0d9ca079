-- api_charge_replay: charger models and a custom charger, unplug, current replay, ambient.
return scenario {
  name = "api: charge, replay, ambient",
  pack = { soc = 0.5 },
  tick_ms = 10,
  timeout = 7200,
  run = function(t)
    t:charge("stock")
    t:expect_current({ min = -1.71, max = -1.69 }, { within = 1 })
    t:charge("3a")
    t:expect_current({ min = -3.01, max = -2.99 }, { within = 1 })
    t:charge({ volts = 41.0, amps = 0.5 })
    t:expect_current({ min = -0.51, max = -0.49 }, { within = 1 })
    assert(not pcall(t.charge, t, "60v"))
    assert(not pcall(t.charge, t, { volts = 500, amps = 1 }))
    t:unplug()
    t:expect_current({ min = -0.01, max = 0.01 }, { within = 0.1 })
    t:replay("../../fixtures/rides/overcurrent_spike.csv")
    assert(t:replaying())
    t:expect_current({ min = 9.99, max = 10.01 }, { within = 0.1 })
    t:expect_current({ min = 39.9 }, { within = 6 })
    t:wait(30)
    assert(not t:replaying())
    local ok, err = pcall(t.replay, t, "no_such_file.csv")
    assert(not ok and err:find("no_such_file.csv"), err)
    t:ambient(45)
    t:expect("cells warm towards 45 C", function() return t:pack().max_temp_c > 30 end,
             { within = 3600 })
    assert(not pcall(t.ambient, t, 200))
  end,
}
