-- Field symptom: error 23 after a BMS board swap: the replacement BMS still carries the factory
-- default serial 3GA0016A1A0001, which the controller rejects (protocol.md 4.3, [D] DRV134).
return scenario {
  name = "Default BMS serial: error 23 at power-on",
  tags = { "comm", "error23", "identity", "fault" },
  run = function(t)
    t:fault("serial_default")
    t:power_on()
    t:expect_error(23, { within = 4 })
    t:expect_error(23, { ["for"] = 5 })
  end,
}
