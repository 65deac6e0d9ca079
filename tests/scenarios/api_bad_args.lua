-- api_bad_args: non-finite and absurd arguments are refused at the call, naming the problem.
local function refused(f, want, label)
  local ok, err = pcall(f)
  assert(not ok, label .. ": accepted")
  assert(tostring(err):find(want, 1, true), label .. ": " .. tostring(err))
end

return scenario {
  name = "api: absurd durations, offsets, shorts and measurements are refused",
  pack = { preset = "10s3p", soc = 0.6 },
  run = function(t)
    t:power_on()
    refused(function() t:wait(1 / 0) end, "wait: seconds must be", "wait(1/0)")
    refused(function() t:wait(0 / 0) end, "wait: seconds must be", "wait(nan)")
    refused(function() t:wait(1e9) end, "wait: seconds must be", "wait(1e9)")
    refused(function() t:expect_error(0, { within = 1 / 0 }) end, "'within' must be", "within=1/0")
    refused(function() t:expect_error(0, { within = 1e12 }) end, "'within' must be", "within=1e12")
    refused(function() t:power_cycle(1e9) end, "power_cycle: off time", "power_cycle(1e9)")
    assert(t:powered(), "the refused power_cycle must not have switched the controller off")
    refused(function() t:group(2):offset_mv(1e9) end, "rejected", "offset_mv(1e9)")
    refused(function() t:group(2):offset_mv(0 / 0) end, "rejected", "offset_mv(nan)")
    refused(function() t:group(2):short(0) end, "resistance must be", "group short(0)")
    refused(function() t:cell(2, 1):short(0) end, "resistance must be", "cell short(0)")
    refused(function() t:cell(2, 1):short(-5) end, "resistance must be", "cell short(-5)")
    refused(function() t:measure(("m"):rep(1024 * 1024), 1) end, "at most 200", "1 MB name")
    refused(function() t:measure("v", 0 / 0) end, "must be finite", "NaN value")
    refused(function() t:measure("v", 1 / 0) end, "must be finite", "inf value")
    -- what stays allowed: a real offset, a soft short and its removal, an ordinary measurement
    t:group(2):offset_mv(-50)
    t:cell(2, 1):short(20)
    t:cell(2, 1):short(1 / 0)
    t:measure("ordinary", 1.5, { min = 1, max = 2 })
    t:wait(0.01)
  end,
}
