-- Field symptom: error 21 "after heavy rain" that comes and goes: water in the battery
-- connector puts junk bytes and flipped bits on the data line. The controller drops the bad
-- frames; a mild film only costs the odd poll, a soaked one adds up to 25 misses in a row.
return scenario {
  name = "Moisture in the data connector: corrupt frames dropped, 21 only when soaked",
  tags = { "comm", "moisture", "fault" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 5 })
    local bad0, miss0 = t:line().bad_frames_in, t:line().polls_unanswered   -- the line's view
    t:fault("moisture", 0.3)
    t:expect_error(0, { ["for"] = 60 })
    t:measure("corrupt_frames_in_60s", t:line().bad_frames_in - bad0, { min = 1 })
    t:measure("missed_polls_in_60s", t:line().polls_unanswered - miss0, { min = 1 })
    t:fault("moisture", 1.0)
    t:fault("bit_errors", 0.02)
    t:expect_error(21, { within = 60 })
    t:clear("moisture")
    t:clear("bit_errors")
    -- dried out: 21 clears with the first reply the controller decodes. A junk "55 AA" with a
    -- large length byte can hold its parser until that many bytes have passed (up to ~13
    -- replies, ~2.7 s) [I: the virtual controller does not resync on gaps]
    local rec = t:expect_error(0, { within = 5 })
    t:measure("recovery_after_drying_s", rec, { max = 5, unit = "s" })
  end,
}
