-- Stock image: T1 = 75 C: error 39, about 5 ms before where 22/23 would come (firmware.md
-- section 5 [O]).
return scenario {
  name = "stock: T1 at 75 C gives error 39",
  tags = { "stock", "comm", "error39" },
  pack = { temp_c = 75 },
  run = function(t)
    t:power_on()
    t:expect_error(39, { within = 2 })
  end,
}
