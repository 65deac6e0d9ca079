-- api_ntc_set: t:ntc(k):set_c(c) pins a thermistor's reading whatever the cells do; clear()
-- gives the true temperature back; drift stays relative.
return scenario {
  name = "api: ntc set_c",
  pack = { preset = "10s3p", soc = 0.5, temp_c = 20 },
  run = function(t)
    t:power_on()
    t:wait(1)
    t:ntc(1):set_c(75)
    assert(math.abs(t:ntc(1):temp() - 75) < 0.5, "reads 75 C: " .. t:ntc(1):temp())
    assert(math.abs(t:ntc(1):true_temp() - 20) < 1, "the cells are still at 20 C")
    assert(math.abs(t:ntc(2):temp() - 20) < 1, "the other sensor is untouched")
    t:wait(1)
    assert(math.abs(t:bms().t1_c - 75) < 1.5, "the BMS reports 75 C: " .. t:bms().t1_c)
    t:ntc(1):set_c(-20)
    assert(math.abs(t:ntc(1):temp() + 20) < 0.5, "then -20 C: " .. t:ntc(1):temp())
    assert(not pcall(t:ntc(1).set_c, t:ntc(1), 200), "beyond 125 C")
    assert(not pcall(t:ntc(1).set_c, t:ntc(1), "hot"), "not a number")
    local ok, err = pcall(t:ntc(1).set_c, t:ntc(1), -41)
    assert(not ok and err:find("set_c: temperature must be a number in %-40..125 C"), err)
    t:ntc(1):clear()
    assert(math.abs(t:ntc(1):temp() - 20) < 1, "clear: the true temperature again")
  end,
}
