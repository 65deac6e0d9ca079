-- api_faults: every pack and thermistor fault handle changes what it should, and clears.
return scenario {
  name = "api: pack, cell and thermistor faults",
  pack = { preset = "10s3p", soc = 0.6 },
  run = function(t)
    local g2 = t:group(2)
    local v0 = g2:voltage()
    g2:offset_mv(-100)
    t:wait(0.01)                                       -- read-outs follow at the next tick
    assert(math.abs(v0 - g2:voltage() - 0.100) < 0.01, "offset_mv")
    local s1 = g2:soc()
    g2:offset_soc(0.05)
    t:wait(0.01)
    assert(math.abs(g2:soc() - s1 - 0.05) < 0.002, "offset_soc")
    -- a top-up past the model's SOC range is refused for that, not as a bad amount of charge
    for _, ah in ipairs({ 5, 10 }) do                  -- 0.6 + ah / 7.8 Ah: 1.24, 1.88
      local ok, err = pcall(function() t:group(3):top_up(ah) end)
      assert(not ok and tostring(err):find("SOC range", 1, true), "top_up(" .. ah .. "): " .. tostring(err))
    end
    local ok, err = pcall(function() t:group(3):top_up(-1) end)
    assert(not ok and tostring(err):find("0..100 Ah", 1, true), "top_up(-1): " .. tostring(err))
    -- the error is placed at this script's line, not inside the prelude's wrapper
    assert(tostring(err):find("^[^\n]*api_faults%.lua:20: "), "position: " .. tostring(err))
    -- a long message is not cut short (the names list follows a 600-byte name)
    local long = ("x"):rep(600)
    ok, err = pcall(function() t:expect_status(long, true) end)
    assert(not ok and tostring(err):find(long, 1, true) and tostring(err):find("%(names: .*%)$"),
           "long status name: ..." .. tostring(err):sub(-60))
    t:group(4):sense_open(true)
    t:wait(0.01)
    assert(t:group(4):sense_voltage() < 1.0 or t:group(5):sense_voltage() < 1.0)
    t:group(4):sense_open(false)
    t:wait(0.01)
    assert(math.abs(t:group(4):sense_voltage() - t:group(4):voltage()) < 0.01)
    t:group(6):sense_leak(1000)
    t:wait(1)
    assert(t:group(6):sense_voltage() < t:group(6):voltage() - 0.01, "sense_leak")
    t:group(6):sense_leak(math.huge)
    t:group(7):moisture(50)                            -- a wet film drains its group
    t:wait(60)
    assert(t:group(6):voltage() - t:group(7):voltage() > 0.0004, "moisture")   -- 75 mA through R0
    t:group(7):moisture(math.huge)
    t:expect("the BMS sees a sane pack again", function() return t:bms().charge end, { within = 10 })
    t:cell(8, 1):fail_open()
    t:charge("stock")
    t:wait(1)
    assert(math.abs(t:cell(8, 1):current()) < 1e-6, "open cell carries no current")
    t:cell(8, 1):mend()
    t:wait(1)
    assert(t:cell(8, 1):current() < -0.3, "mended cell charges")
    t:unplug()
    t:cell(9, 1):short(10)
    t:wait(100)
    -- the short drains its cell from inside; the parallel neighbours slowly feed it
    assert(t:cell(9, 1):soc() < t:cell(9, 2):soc() - 0.002, "shorted cell drains")
    assert(t:cell(9, 2):current() > 0.01 and t:cell(9, 1):current() < -0.02, "neighbours feed it")
    assert(t:group(9):voltage() < t:group(8):voltage() - 0.0005, "its group sags")
    t:group(10):weaken { capacity = 0.5, resistance = 2 }
    local s10, s1 = t:group(10):soc(), t:group(1):soc()
    t:replay("../../fixtures/rides/overcurrent_spike.csv")   -- 10 A for the first 5 s
    t:wait(4)
    local d10, d1 = s10 - t:group(10):soc(), s1 - t:group(1):soc()
    assert(d10 > 1.8 * d1 and d10 < 2.2 * d1, ("half capacity: %g vs %g"):format(d10, d1))
    t:replay("../../fixtures/rides/constant_20a.csv"); t:wait(0.1)
    t:expect_current({ min = 19.9 }, { within = 0.1 })
    t:ntc(1):intermittent(1.0)
    t:wait(0.1)
    assert(t:ntc(1):temp() < -30, "intermittent at p=1 reads open")
    t:ntc(1):clear()
    t:ntc(2):drift(10)
    assert(math.abs(t:ntc(2):temp() - t:ntc(2):true_temp() - 10) < 1)
    t:ntc(2):clear()
    assert(not pcall(t.fault, t, "no_such_fault"))
    assert(not pcall(t.fault, t, "corrupt_checksum", 2.0))
    assert(not pcall(t.clear, t, "no_such_fault"))
    t:fault("stale"); t:clear("stale")
    t:fault("truncate", 0.5); t:clear("truncate")
    t:fault("garbage", 0.5); t:clear("garbage")
  end,
}
