-- api_fault_readouts: a read-out right after a fault call reflects it: the pack model's group
-- voltages at once, the BMS's measurement after one tick (docs/scenarios.md, "Read-outs").
return scenario {
  name = "api: read-outs right after a fault call",
  run = function(t)
    t:power_on()
    t:wait(1)
    local before = t:pack()
    local g4 = t:group(4):voltage()
    assert(before.max_group_v - before.min_group_v < 0.002, "balanced to start with")
    t:group(4):offset_mv(-150)
    local after = t:pack()
    local spread = after.max_group_v - after.min_group_v
    assert(math.abs(spread - 0.150) < 0.002, string.format("spread at once: %.4f V", spread))
    assert(math.abs(g4 - t:group(4):voltage() - 0.150) < 0.002,
           string.format("group 4 at once: %.4f -> %.4f V", g4, t:group(4):voltage()))
    assert(math.abs(after.voltage - (before.voltage - 0.150)) < 0.005, "the pack voltage too")
    t:wait(t:tick())
    local b = t:bms()
    assert(b.max_cell_v - b.min_cell_v > 0.14, string.format("the BMS sees it one tick later: %.4f V",
           b.max_cell_v - b.min_cell_v))
    local later = t:pack()
    assert(math.abs((later.max_group_v - later.min_group_v) - spread) < 0.002,
           "and the model after the tick agrees with the read-out before it")
  end,
}
