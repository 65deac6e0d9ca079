-- Stock image: the BMS reports the default serial 3GA0016A1A0001: error 23, same timing as 22
-- (firmware.md section 5 [O]).
return scenario {
  name = "stock: default BMS serial gives error 23",
  tags = { "stock", "comm", "error23" },
  run = function(t)
    t:fault("serial_default")
    t:power_on()
    t:expect_error(23, { within = 2 })
  end,
}
