-- emulated.lua: the emulated FT232H board (hw/emu) that runs the whole hardware path in CI
-- under the unmodified libftdi1. It matches the emulator's built-in configuration: two AD5676R
-- (cells, NTCs) sharing an LDAC line, one LTC2668 (pack and charger set-points behind x5
-- amplifiers), four relays with sense contacts. Units: volts.

local cells = {}
for i = 1, 12 do
  local on_a = i <= 8
  cells[#cells + 1] = channel {
    signal = ("cell[%d].v"):format(i),
    dac = on_a and "cells_a" or "cells_b",
    ch = on_a and i - 1 or i - 9,
    min = 0.0, max = 4.5, safe = 0.0,
    -- two channels carry a (made-up) calibration so the path through it is exercised
    cal = (i == 3) and { gain = 1.002, offset = -0.0015 }
       or (i == 10) and { gain = 0.9985, offset = -0.0021 } or nil,
  }
end

local channels = cells
channels[#channels + 1] = channel { signal = "ntc[1].v", dac = "cells_b", ch = 4,
                                    min = 0.0, max = 3.3, safe = 1.65,
                                    cal = { gain = 0.998, offset = -0.001 } }
channels[#channels + 1] = channel { signal = "ntc[2].v", dac = "cells_b", ch = 5,
                                    min = 0.0, max = 3.3, safe = 1.65 }
-- pack and charger voltage set-points: DAC volts x5 after the buffer amplifier
channels[#channels + 1] = channel { signal = "pack.v", dac = "aux", ch = 0, scale = 0.2,
                                    min = 0.0, max = 48.0, safe = 0.0 }
channels[#channels + 1] = channel { signal = "charger.v", dac = "aux", ch = 1, scale = 0.2,
                                    min = 0.0, max = 48.0, safe = 0.0 }

return board {
  name = "emulated",
  ftdi = { vid = 0x0403, pid = 0x6014, serial = "BMSEMU01", interface = "A",
           spi_hz = 6000000 },
  dacs = {
    dac { name = "cells_a", model = "ad5676r", cs = "ADBUS3", ldac = "ADBUS6",
          vref = 2.5, gain = 2 },
    dac { name = "cells_b", model = "ad5676r", cs = "ADBUS4", ldac = "ADBUS6",
          vref = 2.5, gain = 2 },
    dac { name = "aux", model = "ltc2668", cs = "ADBUS5", span = "0..10" },
  },
  channels = channels,
  faults = {
    relay { name = "bms_tx", pin = "ACBUS0", active = "high", sense = "ACBUS4" },
    relay { name = "esc_tx", pin = "ACBUS1", active = "high", sense = "ACBUS5" },
    -- the controller's 0805 series resistor swapped through two relays
    -- (fault name as the scenarios use it: t:fault("esc_resistor", "open" | "burnt" | ohms))
    bank { name = "esc_resistor", pins = { "ACBUS2", "ACBUS3" }, safe = "nominal",
           positions = {
             { name = "nominal", code = 0, ohms = 120 },
             { name = "open", code = 1 },
             { name = "burnt", code = 2, ohms = 47000 },
           } },
  },
  readback = true,
}
