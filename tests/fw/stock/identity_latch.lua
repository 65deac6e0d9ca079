-- Stock image: the BMS identity (status bit 0, serial) is read once per power-on: no 22 for a
-- config that goes invalid mid-run, a 22 from power-on kept after the config is valid again,
-- cleared by a power cycle (observed on DRV130, DRV134 and DRV143 [O]; sim/esc_internal.h).
return scenario {
  name = "stock: config bit read once per power-on",
  tags = { "stock", "comm", "error22" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 4 })
    t:fault("config_invalid")
    t:expect_error(0, { ["for"] = 6 })
    t:power_cycle(2)
    t:wait(2)
    t:expect_error(22)
    t:clear("config_invalid")
    t:expect_error(22, { ["for"] = 5 })
    t:power_cycle(2)
    t:wait(2)
    t:expect_error(0, { ["for"] = 2 })
  end,
}
