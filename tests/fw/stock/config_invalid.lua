-- Stock image: status bit 0 (config valid) clear: error 22 about 184 ms after the boot 0x30
-- reply (firmware.md section 5 [O]).
return scenario {
  name = "stock: config invalid gives error 22",
  tags = { "stock", "comm", "error22" },
  run = function(t)
    t:fault("config_invalid")
    t:power_on()
    t:expect_error(22, { within = 2 })
  end,
}
