-- Stock image, every reply 180.5 ms late: each reply is received 26.8 ms before the next poll
-- goes out, and the image counts it for that poll's check: no error 21 [O] (this session's
-- DRV134 runs: 178.0 ms late, received 29.3 ms before the poll, gives 21 at 7.08 s; 185 and
-- 200 ms late give none). The virtual controller disagrees (it raises 21: docs/controller.md,
-- known disagreements); this checks the firmware fact only.
return scenario {
  name = "stock: replies 180.5 ms late count for the next poll: no error 21",
  tags = { "stock", "comm", "error21", "timing" },
  run = function(t)
    t:fault("reply_delay", 0.1805)
    t:power_on()
    -- 21 would come at ~6.9 s (all polls missed). Only 21 is checked: the probe run that gave
    -- this figure read error 22 once at its very end (7.4 s), not explained yet
    t:expect("no error 21", function() return t:error() ~= 21 end, { ["for"] = 7.5 })
  end,
}
