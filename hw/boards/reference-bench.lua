-- reference-bench.lua: the documented reference bench (docs/hardware.md): one FT232H in MPSSE
-- mode, two AD5676R (GAIN=2, 0..5 V) behind isolated buffer amplifiers for 12 cells, two NTC
-- divider nodes and the pack-voltage set-point, relays that cut BMS TX / ESC TX, and a
-- resistor bank standing in for the controller's 0805 series resistor.
-- Calibration values are placeholders: measure each channel with a DMM at two points and
-- enter gain/offset (dac_v_true = gain * dac_v + offset). Units: volts, ohms.

local channels = {}
local function add(t) channels[#channels + 1] = channel(t) end

for i = 1, 12 do
  add { signal = ("cell[%d].v"):format(i),
        dac = i <= 8 and "dac_cells" or "dac_aux", ch = i <= 8 and i - 1 or i - 9,
        -- unity-gain isolated buffer per cell; a Li-ion cell never goes above 4.35 V here
        min = 0.0, max = 4.35, safe = 0.0,
        cal = { gain = 1.0, offset = 0.0 } }
end
-- NTC divider nodes as the BMS sees them (10k pull-up to 3.3 V on the M365 BMS [I])
add { signal = "ntc[1].v", dac = "dac_aux", ch = 4, min = 0.1, max = 3.2, safe = 1.65 }
add { signal = "ntc[2].v", dac = "dac_aux", ch = 5, min = 0.1, max = 3.2, safe = 1.65 }
-- pack-voltage set-point for the programmable supply: 0..5 V in = 0..50 V out (x10)
add { signal = "pack.v", dac = "dac_aux", ch = 6, scale = 0.1, min = 0.0, max = 46.0,
      safe = 0.0 }
-- charger-voltage set-point, same x10 interface
add { signal = "charger.v", dac = "dac_aux", ch = 7, scale = 0.1, min = 0.0, max = 46.0,
      safe = 0.0 }

return board {
  name = "reference-bench",
  ftdi = { vid = 0x0403, pid = 0x6014, serial = "BMSRIG01", interface = "A",
           spi_hz = 10000000 },
  dacs = {
    dac { name = "dac_cells", model = "ad5676r", cs = "ADBUS3", ldac = "ADBUS6",
          vref = 2.5, gain = 2 },
    dac { name = "dac_aux", model = "ad5676r", cs = "ADBUS4", ldac = "ADBUS6",
          vref = 2.5, gain = 2 },
  },
  channels = channels,
  faults = {
    -- K1, K2: normally closed contacts in the data lines; energised = line cut
    relay { name = "bms_tx", pin = "ACBUS0", active = "high" },
    relay { name = "esc_tx", pin = "ACBUS1", active = "high" },
    -- K3, K4 select the series resistor in the BMS data line
    bank { name = "esc_resistor", pins = { "ACBUS2", "ACBUS3" }, safe = "nominal",
           positions = {
             { name = "nominal", code = 0, ohms = 120 },
             { name = "open", code = 1 },
             { name = "burnt", code = 2, ohms = 47000 },
             { name = "burnt_high", code = 3, ohms = 470000 },
           } },
  },
  serial = { bms = "/dev/ttyUSB1", dash = "/dev/ttyUSB2" },
  readback = false,   -- SDO of the AD5676R pair is not wired on the reference board
}
