-- api_readouts: every read-out of the scenario API returns sane values on the virtual target.
return scenario {
  name = "api: read-outs",
  pack = { preset = "10s3p", soc = 0.5, temp_c = 20 },
  run = function(t)
    t:power_on()
    t:expect_error(0, { within = 4 })
    t:wait(4)                                          -- past the handshake
    assert(t:powered() == true)
    assert(t:error() == 0)
    local v = t:voltage()
    assert(v > 35 and v < 39, "pack voltage " .. v)
    assert(math.abs(t:current()) < 0.2)
    assert(t:speed() == 0)
    assert(t:status() & 1 == 1, "config_valid")
    assert(t:reg("bms", 0x30) == t:status())
    assert(t:reg("bms", 0x32) == t:bms().soc_pct)
    assert(t:reg("esc", 0x1B) == 0 and t:reg("esc", 0xB0) == 0)
    assert(not pcall(t.reg, t, "bms", 0x90))          -- beyond the BMS image
    assert(not pcall(t.reg, t, "dash", 0x10))         -- no such image
    local p = t:pack()
    assert(p.series == 10 and p.parallel == 3 and not p.string_open)
    assert(math.abs(p.soc - 0.5) < 0.01)
    local b = t:bms()
    assert(b.discharge and b.charge and next(b.protections) == nil)
    assert(math.abs(b.t1_c - 20) < 1.5 and math.abs(b.t2_c - 20) < 1.5)
    local e = t:esc()
    assert(e.bms_ok and not e.comm_lost and e.polls > 0 and e.limit_reason == "mode")
    assert(math.abs(t:group(3):voltage() - t:group(3):sense_voltage()) < 0.01)
    assert(math.abs(t:group(3):soc() - 0.5) < 0.01)
    assert(math.abs(t:group(3):temp() - 20) < 0.5)
    assert(t:group(3):bleeding() == false)
    assert(math.abs(t:cell(3, 2):soc() - 0.5) < 0.01)
    assert(math.abs(t:cell(3, 2):temp() - 20) < 0.5)
    assert(t:cell(3, 2):ocv() > 3.5)
    assert(math.abs(t:ntc(1):temp() - 20) < 1 and math.abs(t:ntc(2):true_temp() - 20) < 0.5)
    assert(not pcall(t.group, t, 11) and not pcall(t.cell, t, 1, 4) and not pcall(t.ntc, t, 3))
    t:expect_reg("esc", 0x22, t:bms().soc_pct, { within = 1 })   -- the controller's copy of SOC %
    t:expect_reg("bms", 0x34, { min = 3500, max = 3900 })          -- pack voltage in 10 mV
    t:expect_reg("bms", 0x30, function(w) return w & 1 == 1 end)
    t:expect_voltage({ min = 35, max = 39 })
    t:expect_powered(true)
    t:expect_protection("cell_uv", false)
    -- a misspelt protection is an argument error naming the known ones, not an always-true check
    local ok, err = pcall(t.expect_protection, t, "cell_uvv", false)
    assert(not ok and tostring(err):find("unknown protection 'cell_uvv'", 1, true)
           and tostring(err):find("cell_uv ", 1, true), tostring(err))
    assert(math.abs(t:now() - math.floor(t:now() * 1000 + 0.5) / 1000) < 1e-9)
    assert(t:tick() == 0.001)
  end,
}
