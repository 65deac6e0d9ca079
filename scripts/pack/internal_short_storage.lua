-- Field symptom: "one group is always low after the scooter stood for a few weeks": a cell with
-- a soft internal short slowly drains its group in storage while the others hold their charge.
-- The BMS only balances while charging, so the gap grows until the pack is unusable.
return scenario {
  name = "Internal short during storage: one group drains, the spread grows",
  tags = { "pack", "short", "storage", "fault" },
  pack = { preset = "10s3p", soc = 0.5 },
  tick_ms = 100,
  timeout = 50000,
  run = function(t)
    local v0 = t:group(6):voltage()
    t:cell(6, 1):short(20)          -- a 20 ohm soft short, ~0.2 A
    t:wait(12 * 3600)               -- twelve hours parked
    local drop6 = v0 - t:group(6):voltage()
    local drop5 = v0 - t:group(5):voltage()
    t:measure("group6_drop_mv", drop6 * 1000, { min = 75, unit = "mV" })
    t:measure("healthy_group_drop_mv", drop5 * 1000, { max = 5, unit = "mV" })
    t:measure("spread_mv", (t:pack().max_group_v - t:pack().min_group_v) * 1000, { min = 75, unit = "mV" })
  end,
}
