-- Field symptom: error 22 ("bad BMS password / configuration") on a pack flashed with a wrong
-- configuration: status word 0x30 bit 0 (config valid) reads 0 (protocol.md 4.3).
return scenario {
  name = "BMS config invalid: status bit 0 clear gives error 22, cleared when valid again",
  tags = { "comm", "error22", "identity", "fault" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 4 })
    t:fault("config_invalid")
    t:expect_status("config_valid", false, { within = 0.1 })
    t:expect_error(22, { within = 1 })
    t:clear("config_invalid")
    t:expect_error(0, { within = 1 })
  end,
}
