-- Stock image: T1 reads 75 C: error 39, about 5 ms before where 22/23 would come (firmware.md
-- section 5 [O]). The pack stays at 25 C (a hot pack would trip the BMS's own protection and cut
-- the controller's supply); thermistor 1 reads 50 C high.
return scenario {
  name = "stock: T1 at 75 C gives error 39",
  tags = { "stock", "comm", "error39" },
  run = function(t)
    t:ntc(1):drift(50)
    t:power_on()
    t:expect("BMS reports T1 >= 74 C", function() return t:bms().t1_c >= 74 end, { within = 1 })
    t:expect_error(39, { within = 2 })
  end,
}
