-- api_every: t:every(dt, fn) and t:on_tick(fn) run between ticks while the scenario waits or
-- expects, at their own times, stop when told, and refuse to wait themselves.
return scenario {
  name = "api: every and on_tick",
  run = function(t)
    local seen = {}
    local stop = t:every(0.5, function(tt, now) seen[#seen + 1] = now end)
    local ticks = 0
    t:on_tick(function() ticks = ticks + 1 end)
    t:wait(2.2)
    assert(#seen == 4, "every 0.5 s for 2.2 s: 4 calls, got " .. #seen)
    for i, now in ipairs(seen) do
      assert(math.abs(now - 0.5 * i) < 1e-6, string.format("call %d at %.4f s", i, now))
    end
    assert(ticks == 2200, "on_tick: once a tick (2200), got " .. ticks)
    stop()
    t:wait(1)
    assert(#seen == 4, "stopped: no more calls")
    -- a hook that returns false runs once; hooks run inside expectations too
    local once = 0
    t:every(0.1, function() once = once + 1; return false end)
    local polled = 0
    t:every(0.01, function() polled = polled + 1 end)
    t:power_on()
    t:expect_error(0, { within = 1 })
    t:wait(0.5)
    assert(once == 1, "returning false stops the hook: " .. once)
    assert(polled >= 49 and polled <= 51, "every 10 ms over ~0.5 s: " .. polled)
    -- a hook may not wait
    local ok, err
    t:every(0.05, function(tt)
      ok, err = pcall(tt.wait, tt, 1)
      return false
    end)
    t:wait(0.1)
    assert(ok == false and err:find("cannot wait or expect"), tostring(err))
    assert(not pcall(t.every, t, 0, function() end), "period 0 refused")
    assert(not pcall(t.every, t, 0.0001, function() end), "shorter than a tick refused")
    assert(not pcall(t.every, t, 1, "f"), "not a function")
  end,
}
