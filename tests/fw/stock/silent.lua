-- Stock image, BMS silent from power-on: error 21 from 3.56 s; 500 boot requests 15.00 ms apart
-- then no more BMS traffic (firmware.md section 5 [O]; counted from the trace by the test).
return scenario {
  name = "stock: silent BMS from power-on: error 21 at 3.56 s, polling stops",
  tags = { "stock", "comm", "error21", "boot" },
  run = function(t)
    t:fault("bms_tx", "open")
    local t_on = t:now()
    t:power_on()
    t:expect_error(21, { within = 5 })
    t:measure("error21_after_power_on_s", t:now() - t_on, { min = 3.557 - 0.05, max = 3.557 + 0.15, unit = "s" })
    t:expect_silence("esc_tx", { within = 6, ["for"] = 2 })
  end,
}
