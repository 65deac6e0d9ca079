-- emulated_pty.lua: the emulated FT232H board of hw/boards/emulated.lua (its DACs, channels and
-- fault lines, inherited through extends) plus two serial lines on new pseudo-terminals, so a
-- test can attach a controller process (`bmsrig esc`) as the device under test of
-- `bmsrig run --rig`.
return board {
  extends = "emulated",
  name = "emulated_pty",
  serial = { bms = "pty", dash = "pty" },
}
