-- faults.lua: a pack fault and a line fault set and cleared, and one fault left set at the end;
-- the fixture of cli_run_traces (events rows, JSON) and html_report (fault lines and bands).
return scenario {
  name = "faults set and cleared on the time axis",
  run = function(t)
    t:power_on()
    t:wait(1)
    t:cell(4, 1):short(0.5)
    t:wait(0.5)
    t:fault("bms_tx", "open")
    t:wait(1)
    t:clear("bms_tx")
    t:wait(0.5)
    t:cell(4, 1):short(1/0)
    t:ntc(1):open()
    t:wait(1)
  end,
}
