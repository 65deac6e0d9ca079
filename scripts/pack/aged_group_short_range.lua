-- Field symptom: "range dropped by half and it cuts out with the display still showing a third
-- of the battery" on an old or badly repaired pack: one series group has aged (half its
-- capacity, twice its resistance). It empties first and drags its cells below the BMS's
-- under-voltage limit while the healthy groups still hold charge that can never be used.
-- (Seeds: cell imbalance causes reduced range and cut-outs; a weak group in a mixed-age pack.)
return scenario {
  name = "Aged group: cut-out after a third of the range, charge stranded in the healthy groups",
  tags = { "pack", "cell", "range", "cutout", "fault" },
  pack = { preset = "10s3p", soc = 0.30 },
  timeout = 1200,
  run = function(t)
    t:group(3):weaken { capacity = 0.5, resistance = 2 }
    t:power_on()
    t:expect_error(0, { ["for"] = 3 })
    t:ride { throttle = 0.6 }
    -- A healthy pack at this SOC and throttle rides about 1840 s to its cut-out (measured with
    -- --suppress-faults); the aged group ends the ride in well under half of that.
    local dt = t:expect("controller cut out", function() return not t:powered() end,
                        { within = 900 })
    t:expect_protection("cell_uv", true)
    t:measure("cutout_after_s", dt, { max = 900, unit = "s" })
    t:measure("aged_group_soc_at_cutout", t:group(3):soc(), { max = 0.06 })
    t:measure("healthy_group_soc_at_cutout", t:group(1):soc(), { min = 0.10 })
    t:measure("pack_v_at_cutout", t:voltage(), { min = 33, unit = "V" })
    t:expect("the aged group is the lowest", function()
      return t:group(3):voltage() <= t:pack().min_group_v + 1e-6
    end)
  end,
}
