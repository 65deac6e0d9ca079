-- Field symptom: "the scooter dies when I floor it uphill and comes back after a few seconds"
-- (and error 21 if the BMS goes quiet: BotoX BMS issue 53): a current spike above the BMS's
-- discharge over-current limit (35 A for 1.28 s) opens the discharge switch; it retries later.
return scenario {
  name = "Over-current spike trips the BMS discharge switch, which retries after 5 s",
  tags = { "pack", "overcurrent" },
  pack = { preset = "10s3p", soc = 0.9 },
  run = function(t)
    local t0 = t:now()
    t:replay("../../fixtures/rides/overcurrent_spike.csv")   -- 40 A from 5 s to 8 s
    t:expect_current({ min = 9, max = 11 }, { within = 0.1, ["for"] = 4.5 })
    t:expect_protection("dsg_oc", true, { within = 4 })
    t:measure("trip_after_spike_start_s", t:now() - t0 - 5, { min = 1.2, max = 1.4, unit = "s" })
    t:expect_status("discharge_error", true, { within = 0.1 })
    t:expect_current({ min = -0.01, max = 0.01 }, { within = 0.01 })
    local back = t:expect_protection("dsg_oc", false, { within = 10 })
    t:measure("retry_after_s", back, { min = 4.5, max = 5.5, unit = "s" })
    t:expect_current({ min = 9, max = 11 }, { within = 0.1 })
  end,
}
