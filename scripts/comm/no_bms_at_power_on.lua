-- Field symptom: scooter powers on with error 21 and stays that way even after the battery
-- connector is reseated: the controller retried the BMS handshake 501 times (7.5 s) and then
-- stopped polling for good (esc-side recording, protocol.md 4.1). Only a power cycle recovers.
return scenario {
  name = "No BMS at power-on: error 21, polling stops after 501 tries, only a power cycle recovers",
  tags = { "comm", "error21", "boot", "fault" },
  run = function(t)
    t:fault("bms_tx", "open")
    local t_on = t:now()
    t:power_on()
    t:expect_error(21, { within = 4 })
    -- the handshake gives up: the controller's line goes quiet for good
    local t_call = t:now()
    local quiet = t:expect_silence("esc_tx", { within = 9, ["for"] = 3 })
    -- first request 0.589 s after power-on, then 500 more 15 ms apart: silent from ~8.09 s
    t:measure("polling_stops_after_s", t_call - t_on + quiet, { min = 7.9, max = 8.3, unit = "s" })
    t:measure("boot_requests", t:line().boot_requests, { min = 500, max = 501 })   -- counted on the line
    t:clear("bms_tx")
    t:expect_error(21, { ["for"] = 5 })   -- reconnecting alone does not help
    t:power_cycle(2)
    t:expect_error(0, { within = 4 })
    t:expect_error(0, { ["for"] = 3 })
  end,
}
