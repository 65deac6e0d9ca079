-- api_fault_names: t:fault / t:clear take the fault table's names, aliases and value words
-- (rig/fault/fault_table.c; `bmsrig faults`): "on"/"off", "open", "burnt", an alias for a
-- name, and an unknown name fails with the nearest one.
return scenario {
  name = "api: fault names, aliases and value words from the fault table",
  run = function(t)
    t:power_on()
    t:wait(1)
    -- a switch by word: "on" sets it, "off" clears it (as t:clear)
    t:fault("config_invalid", "on")
    t:expect_status("config_valid", false, { within = 0.5 })
    t:fault("config_invalid", "off")
    t:expect_status("config_valid", true, { within = 0.5 })
    -- the link's old check label is an alias of bms_tx: the controller hears nothing
    local replies = t:esc().good_replies
    t:fault("bms_tx_open", "open")
    t:wait(0.5)
    replies = t:esc().good_replies
    t:wait(1)
    assert(t:esc().good_replies == replies, "bms_tx_open cuts the BMS TX line")
    t:clear("bms_tx_open")
    replies = t:esc().good_replies
    t:wait(1)
    assert(t:esc().good_replies >= replies + 3, "cleared by its alias")
    -- series_r (the emulated board's bank name) is esc_resistor; "open" is its open position
    t:fault("series_r", "open")
    t:wait(0.5)
    replies = t:esc().good_replies
    t:wait(1)
    assert(t:esc().good_replies == replies, "series_r open cuts the line")
    t:fault("esc_resistor", "off")
    t:wait(1)
    assert(t:esc().good_replies >= replies + 3, "esc_resistor off restores it")
    -- bad words and names are script errors that say why
    local ok, err = pcall(t.fault, t, "bms_tx", "burnt")
    assert(not ok and tostring(err):find("expected on or off, got 'burnt'", 1, true), tostring(err))
    ok, err = pcall(t.fault, t, "reply_delay", "soon")
    assert(not ok and tostring(err):find("is not seconds 0..3600", 1, true), tostring(err))
    ok, err = pcall(t.fault, t, "bms_xt", "on")
    assert(not ok and tostring(err):find("did you mean 'bms_tx'?", 1, true), tostring(err))
    ok, err = pcall(t.fault, t, "config_invalud")
    assert(not ok and tostring(err):find("did you mean 'config_invalid'?", 1, true), tostring(err))
    ok, err = pcall(t.clear, t, "esc_resitor")
    assert(not ok and tostring(err):find("did you mean 'esc_resistor'?", 1, true), tostring(err))
  end,
}
