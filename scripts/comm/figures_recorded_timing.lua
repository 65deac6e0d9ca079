-- The virtual controller's recorded figures (issue 16; docs/controller.md "Two figure sets"):
-- the real unit's recordings, whose RC oscillator runs 0.2 % fast. First boot request 589 ms
-- after power-on [D], a poll every 42 ticks of 4988.79 us = 209.53 ms [D], 501 boot requests
-- against a silent BMS before it gives up [D] (protocol.md 4.1). Windows: one engine tick
-- (1 ms) on the first request, 0.05 ms on the period averaged over 100 polls; the emulated
-- figures (573 ms, 210.0 ms, 500) fall outside every one of them.
return scenario {
  name = "Recorded figures: first request 589 ms, polls 209.5 ms, 501 boot tries",
  tags = { "comm", "timing", "boot", "figures", "fault" },
  esc = { model = "m365", figures = "recorded" },
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
    t:measure("first_request_after_power_on_s", first_req, { min = 0.588, max = 0.590, unit = "s" })
    t:measure("poll_period_ms", (poll101 - poll1) * 1000 / 100,
              { min = 209.48, max = 209.58, unit = "ms" })
    -- a silent BMS from the next power-on: the handshake is tried boot_tries times
    t:power_off()
    t:fault("bms_tx", "open")
    t:wait(1)
    t:power_on()
    local t_on = t:now()
    t:expect_error(21, { within = 4 })
    local t_call = t:now()
    local quiet = t:expect_silence("esc_tx", { within = 9, ["for"] = 1 })
    t:measure("boot_requests", t:esc().boot_requests, { min = 501, max = 501 })
    -- 589 ms + 500 x 3 ticks: the last request at 8.072 s, silent from then on
    t:measure("last_boot_request_after_power_on_s", t_call - t_on + quiet,
              { min = 8.06, max = 8.09, unit = "s" })
  end,
}
