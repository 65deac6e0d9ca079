-- Stock image, healthy BMS: the handshake, the boot retries' and polls' cadence are checked from
-- the trace by test_stock_fw.sh (firmware.md section 5 / protocol.md 4.2a [O]); no error here.
return scenario {
  name = "stock: normal, no error over 20 s",
  tags = { "stock", "comm" },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 20 })
  end,
}
