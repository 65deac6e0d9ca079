-- Field symptom: error 22 ("bad BMS password / configuration") on a pack flashed with a wrong
-- configuration: status word 0x30 bit 0 (config valid) reads 0 (protocol.md 4.3). The stock
-- controller reads that bit once per power-on: a configuration that goes bad while riding shows
-- nothing, and a 22 seen at power-on stays after the pack is fixed, until the scooter is switched
-- off and on again (stock images DRV130, DRV134 and DRV143 under --firmware [O]).
return scenario {
  name = "BMS config invalid: error 22 read at power-on, kept until a power cycle",
  tags = { "comm", "error22", "identity", "fault" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 4 })
    t:fault("config_invalid")
    t:expect_status("config_valid", false, { within = 0.1 })
    t:expect_error(0, { ["for"] = 3 })     -- not read again while running
    t:power_cycle(2)
    t:wait(2)                              -- 22 comes ~1.4 s after power-on; the wait keeps
    t:expect_error(22)                     -- the script's times the same on every target
    t:clear("config_invalid")
    t:expect_status("config_valid", true, { within = 0.5 })
    t:expect_error(22, { ["for"] = 3 })    -- kept with the configuration valid again
    t:power_cycle(2)
    t:wait(2)                              -- past the point where 22 showed before
    t:expect_error(0, { ["for"] = 2 })
  end,
}
