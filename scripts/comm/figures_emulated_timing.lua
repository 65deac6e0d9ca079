-- The virtual controller's emulated figures (issue 16; docs/controller.md "Two figure sets"):
-- the stock firmware 1.3.4 under CPU emulation with an ideal 64 MHz clock. First boot request
-- 573 ms after reset [O], a poll every 42 ticks of 5.000 ms = 210.0 ms [O], 500 boot requests
-- 15.00 ms apart against a silent BMS, the last at 8.058 s [O] (firmware.md section 5).
-- Windows: one engine tick (1 ms) on the first request, 0.05 ms on the period averaged over
-- 100 polls; the recorded figures (589 ms, 209.53 ms, 501) fall outside every one of them.
return scenario {
  name = "Emulated figures: first request 573 ms, polls 210.0 ms, 500 boot tries",
  tags = { "comm", "timing", "boot", "figures", "fault" },
  esc = { model = "m365", figures = "emulated" },
  run = function(t)
    local first_req, poll1, poll101 = nil, nil, nil
    local stop = t:on_tick(function(t, now)
      local e = t:esc()
      if not first_req and e.boot_requests > 0 then first_req = now end
      if not poll1 and e.polls >= 1 then poll1 = now end
      if not poll101 and e.polls >= 101 then poll101 = now end
    end)
    t:power_on()
    t:expect("100 polls after the first", function() return poll101 ~= nil end, { within = 25 })
    stop()
    t:measure("first_request_after_power_on_s", first_req, { min = 0.572, max = 0.574, unit = "s" })
    t:measure("poll_period_ms", (poll101 - poll1) * 1000 / 100,
              { min = 209.95, max = 210.05, unit = "ms" })
    -- a silent BMS from the next power-on: the handshake is tried boot_tries times
    t:power_off()
    t:fault("bms_tx", "open")
    t:wait(1)
    t:power_on()
    local t_on = t:now()
    t:expect_error(21, { within = 4 })
    local t_call = t:now()
    local quiet = t:expect_silence("esc_tx", { within = 9, ["for"] = 1 })
    t:measure("boot_requests", t:esc().boot_requests, { min = 500, max = 500 })
    -- 573 ms + 499 x 15 ms: the last request at 8.058 s, silent from then on
    t:measure("last_boot_request_after_power_on_s", t_call - t_on + quiet,
              { min = 8.045, max = 8.065, unit = "s" })
  end,
}
