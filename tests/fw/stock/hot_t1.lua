-- Stock image: T1 reads 75 C: error 39 (firmware.md section 5 [O]). The pack stays at 25 C and
-- thermistor 1 reads 50 C high from 4 s on: from power-on the BMS's own over-temperature
-- protection cuts the controller's supply (at 1.0 s) before the controller has a reply to read
-- the temperature from, as a real pack's would (scripts/thermal/hot_pack_at_power_on.lua, which
-- test_stock_fw.sh runs on the stock image too).
return scenario {
  name = "stock: T1 at 75 C gives error 39",
  tags = { "stock", "comm", "error39" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 4 })
    t:ntc(1):drift(50)
    t:expect("BMS reports T1 >= 74 C", function() return t:bms().t1_c >= 74 end, { within = 1 })
    t:expect_error(39, { within = 1 })
  end,
}
