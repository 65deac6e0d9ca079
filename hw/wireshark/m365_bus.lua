-- m365_bus.lua: Wireshark/tshark dissector for bmsrig bus captures (`bmsrig decode --pcap`):
-- the record header bmsrig writes (wire, fault marks, what the receiver got) and the Xiaomi
-- M365 "55 AA" frame inside it (length, address, command, register word, payload, checksum),
-- with every register of a read reply or write by name, raw value and scaled value.
--
-- Use:  wireshark -X lua_script:hw/wireshark/m365_bus.lua capture.pcap
--       tshark -X lua_script:hw/wireshark/m365_bus.lua -r capture.pcap -V
-- or copy the file into ~/.local/lib/wireshark/plugins/. The link type is DLT_USER0 (147);
-- the record layout is documented in rig/line/buspcap.h and docs/wireshark.md.
-- Frame layout (protocol.md section 2.1): 55 AA | L | ADDR | CMD | ARG | PAYLOAD[L-2] | CK_lo CK_hi,
-- checksum = (16-bit sum of L .. last payload byte) XOR 0xFFFF, little-endian.

-- BEGIN regmap (generated from sim/regmap.c by tests/wireshark/regmap_lua.c; do not edit)
local BMS_REGS = {
  { name = "magic", word = 0x00, bytes = 2, kind = "hex16", unit = "", scale = 1 },
  { name = "serial", word = 0x10, bytes = 14, kind = "ascii", unit = "", scale = 1 },
  { name = "fw", word = 0x17, bytes = 2, kind = "hex16", unit = "", scale = 1 },
  { name = "design_cap", word = 0x18, bytes = 2, kind = "u16", unit = "mAh", scale = 1 },
  { name = "real_cap", word = 0x19, bytes = 2, kind = "u16", unit = "mAh", scale = 1 },
  { name = "nominal_v", word = 0x1A, bytes = 2, kind = "u16", unit = "", scale = 1 },
  { name = "cycles", word = 0x1B, bytes = 2, kind = "u16", unit = "", scale = 1 },
  { name = "charges", word = 0x1C, bytes = 2, kind = "u16", unit = "", scale = 1 },
  { name = "max_v", word = 0x1D, bytes = 2, kind = "u16", unit = "V", scale = 0.01 },
  { name = "max_dsg_a", word = 0x1E, bytes = 2, kind = "u16", unit = "A", scale = 0.01 },
  { name = "max_chg_a", word = 0x1F, bytes = 2, kind = "u16", unit = "A", scale = 0.01 },
  { name = "date", word = 0x20, bytes = 2, kind = "date", unit = "", scale = 1 },
  { name = "errors", word = 0x21, bytes = 6, kind = "ascii", unit = "", scale = 1 },
  { name = "status", word = 0x30, bytes = 2, kind = "status", unit = "", scale = 1 },
  { name = "remaining", word = 0x31, bytes = 2, kind = "u16", unit = "mAh", scale = 1 },
  { name = "soc", word = 0x32, bytes = 2, kind = "u16", unit = "%", scale = 1 },
  { name = "current", word = 0x33, bytes = 2, kind = "s16", unit = "A", scale = 0.01 },
  { name = "voltage", word = 0x34, bytes = 2, kind = "u16", unit = "V", scale = 0.01 },
  { name = "temps", word = 0x35, bytes = 2, kind = "temp2", unit = "C", scale = 1 },
  { name = "balance", word = 0x36, bytes = 2, kind = "hex16", unit = "", scale = 1 },
  { name = "health", word = 0x3B, bytes = 2, kind = "u16", unit = "%", scale = 1 },
  { name = "cell1", word = 0x40, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell2", word = 0x41, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell3", word = 0x42, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell4", word = 0x43, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell5", word = 0x44, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell6", word = 0x45, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell7", word = 0x46, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell8", word = 0x47, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell9", word = 0x48, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell10", word = 0x49, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell11", word = 0x4A, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell12", word = 0x4B, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell13", word = 0x4C, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell14", word = 0x4D, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
  { name = "cell15", word = 0x4E, bytes = 2, kind = "u16", unit = "mV", scale = 1 },
}
local ESC_REGS = {
  { name = "esc_serial", word = 0x10, bytes = 14, kind = "ascii", unit = "", scale = 1 },
  { name = "esc_fw", word = 0x1A, bytes = 2, kind = "hex16", unit = "", scale = 1 },
  { name = "error", word = 0x1B, bytes = 2, kind = "u16", unit = "", scale = 1 },
  { name = "bms_soc", word = 0x22, bytes = 2, kind = "u16", unit = "%", scale = 1 },
  { name = "range", word = 0x25, bytes = 2, kind = "u16", unit = "km", scale = 0.01 },
  { name = "power_on_time", word = 0x3A, bytes = 2, kind = "u16", unit = "s", scale = 1 },
  { name = "trip_time", word = 0x3B, bytes = 2, kind = "u16", unit = "s", scale = 1 },
  { name = "frame_temp", word = 0x3E, bytes = 2, kind = "s16", unit = "C", scale = 0.1 },
  { name = "bms_voltage", word = 0x48, bytes = 2, kind = "u16", unit = "V", scale = 0.01 },
  { name = "bms_current", word = 0x50, bytes = 2, kind = "s16", unit = "A", scale = 0.01 },
  { name = "bms_fw", word = 0x67, bytes = 2, kind = "hex16", unit = "", scale = 1 },
  { name = "kers", word = 0x7B, bytes = 2, kind = "u16", unit = "", scale = 1 },
  { name = "cruise", word = 0x7C, bytes = 2, kind = "u16", unit = "", scale = 1 },
  { name = "tail_light", word = 0x7D, bytes = 2, kind = "u16", unit = "", scale = 1 },
  { name = "error2", word = 0xB0, bytes = 2, kind = "u16", unit = "", scale = 1 },
  { name = "alarm", word = 0xB1, bytes = 2, kind = "lobyte", unit = "", scale = 1 },
  { name = "lock", word = 0xB2, bytes = 2, kind = "lobyte", unit = "", scale = 1 },
  { name = "batt_percent", word = 0xB4, bytes = 2, kind = "u16", unit = "%", scale = 1 },
  { name = "speed", word = 0xB5, bytes = 2, kind = "s16", unit = "km/h", scale = 0.001 },
  { name = "avg_speed", word = 0xB6, bytes = 2, kind = "u16", unit = "km/h", scale = 0.001 },
  { name = "total_dist", word = 0xB7, bytes = 4, kind = "u32", unit = "km", scale = 0.001 },
  { name = "trip_dist", word = 0xB9, bytes = 2, kind = "u16", unit = "km", scale = 0.01 },
  { name = "on_time", word = 0xBA, bytes = 2, kind = "u16", unit = "s", scale = 1 },
  { name = "frame_temp2", word = 0xBB, bytes = 2, kind = "s16", unit = "C", scale = 0.1 },
}
local STATUS_BITS = { [0] = "config_valid", [1] = "activated", [2] = "charge_protect", [3] = "charge_enabled", [4] = "write_lock", [5] = "discharging", [6] = "charging", [7] = "charger_in", [8] = "discharge_error", [9] = "overvoltage", [10] = "overheat", [13] = "charge_error", [14] = "deep_undervoltage", }
-- END regmap

-- Bit operations without Lua 5.3 operators: Wireshark 4.0 runs Lua 5.2 (bit32); later
-- releases keep their own `bit` library.
local B = bit32 or bit
local band, rshift, bxor = B.band, B.rshift, B.bxor

local ADDR_NAMES = {
  [0x20] = "to ESC", [0x21] = "to BLE/dashboard", [0x22] = "to BMS",
  [0x23] = "from ESC", [0x24] = "from BLE/dashboard", [0x25] = "from BMS",
}
local DIRECTION = {
  [0x20] = "DASH->ESC", [0x21] = "ESC->DASH", [0x22] = "ESC->BMS",
  [0x23] = "ESC->DASH", [0x24] = "DASH->ESC", [0x25] = "BMS->ESC",
}
local CMD_NAMES = {
  [0x01] = "read", [0x02] = "write", [0x03] = "write, no reply",
  [0x61] = "head read", [0x64] = "head update", [0x65] = "head out",
}
local WIRE_NAMES = {
  [0] = "controller -> BMS (esc_tx)", [1] = "BMS -> controller (bms_tx)",
  [2] = "controller -> dashboard (dash_tx)", [3] = "dashboard -> controller (dash_rx)",
  [255] = "unknown",
}
local RECEIVED_NAMES = { [0] = "as sent", [1] = "never received", [2] = "altered" }
local CHECKSUM_STATUS = { [0] = "Bad", [1] = "Good" }
-- enum link_mark (rig/line/link.h), bit by bit
local MARKS = {
  { bit = 0x0001, abbr = "esc_tx_open", label = "controller TX wire cut (esc_tx_open)" },
  { bit = 0x0002, abbr = "bms_tx_open", label = "BMS TX wire cut (bms_tx_open)" },
  { bit = 0x0004, abbr = "corrupt_checksum", label = "sent with a corrupted checksum" },
  { bit = 0x0008, abbr = "truncate", label = "sent cut short (truncate)" },
  { bit = 0x0010, abbr = "garbage", label = "garbage burst" },
  { bit = 0x0020, abbr = "reply_delay", label = "reply delayed (reply_delay)" },
  { bit = 0x0040, abbr = "bit_errors", label = "bit errors on the wire" },
  { bit = 0x0080, abbr = "bad_checksum", label = "sent bytes fail their checksum" },
  { bit = 0x0100, abbr = "bad_length", label = "sent bytes have an impossible length" },
  { bit = 0x0200, abbr = "truncated", label = "sent bytes end mid-frame" },
}

---------------------------------------------------------------------------------------------
-- the bmsrig record header
local rec = Proto("bmsrig_bus", "bmsrig bus record")
local rf = {
  version = ProtoField.uint8("bmsrig_bus.version", "Version"),
  wire = ProtoField.uint8("bmsrig_bus.wire", "Wire", base.DEC, WIRE_NAMES),
  marks = ProtoField.uint16("bmsrig_bus.marks", "Fault marks", base.HEX),
  received = ProtoField.uint8("bmsrig_bus.received", "Received", base.DEC, RECEIVED_NAMES),
  sent_len = ProtoField.uint16("bmsrig_bus.sent_len", "Bytes sent"),
  delay = ProtoField.uint32("bmsrig_bus.delay_us", "Reply delay (us)"),
  rx = ProtoField.bytes("bmsrig_bus.received_bytes", "Bytes received"),
  rx_valid = ProtoField.bool("bmsrig_bus.received_valid", "Received bytes are a valid frame"),
}
local mark_fields = {}
for _, m in ipairs(MARKS) do
  local f = ProtoField.bool("bmsrig_bus.marks." .. m.abbr, m.label, 16, nil, m.bit)
  mark_fields[#mark_fields + 1] = f
  m.field = f
end
local rec_list = {}
for _, f in pairs(rf) do rec_list[#rec_list + 1] = f end
for _, f in ipairs(mark_fields) do rec_list[#rec_list + 1] = f end
rec.fields = rec_list
local ex_lost = ProtoExpert.new("bmsrig_bus.lost", "Frame never reached its receiver",
                                expert.group.SEQUENCE, expert.severity.WARN)
local ex_altered = ProtoExpert.new("bmsrig_bus.altered", "Frame arrived altered",
                                   expert.group.SEQUENCE, expert.severity.WARN)
rec.experts = { ex_lost, ex_altered }

---------------------------------------------------------------------------------------------
-- the 55 AA frame
local m365 = Proto("m365", "Xiaomi M365 bus frame")
local mf = {
  sync = ProtoField.uint16("m365.sync", "Sync", base.HEX),
  len = ProtoField.uint8("m365.len", "Length (CMD+ARG+payload)"),
  addr = ProtoField.uint8("m365.addr", "Address", base.HEX, ADDR_NAMES),
  direction = ProtoField.string("m365.direction", "Direction"),
  cmd = ProtoField.uint8("m365.cmd", "Command", base.HEX, CMD_NAMES),
  arg = ProtoField.uint8("m365.arg", "Register word", base.HEX),
  register = ProtoField.string("m365.register", "Register"),
  read_bytes = ProtoField.uint8("m365.read_bytes", "Bytes to read"),
  payload = ProtoField.bytes("m365.payload", "Payload"),
  checksum = ProtoField.uint16("m365.checksum", "Checksum", base.HEX),
  checksum_calc = ProtoField.uint16("m365.checksum.calculated", "Checksum expected", base.HEX),
  checksum_status = ProtoField.uint8("m365.checksum.status", "Checksum status", base.DEC,
                                     CHECKSUM_STATUS),
  garbage = ProtoField.bytes("m365.garbage", "Garbage (no frame start)"),
  trailing = ProtoField.bytes("m365.trailing", "Bytes after the frame"),
}
local ex_bad_ck = ProtoExpert.new("m365.checksum.bad", "Bad checksum", expert.group.CHECKSUM,
                                  expert.severity.ERROR)
local ex_short = ProtoExpert.new("m365.truncated", "Frame cut short", expert.group.MALFORMED,
                                 expert.severity.ERROR)
local ex_bad_len = ProtoExpert.new("m365.bad_length", "Impossible length byte",
                                   expert.group.MALFORMED, expert.severity.ERROR)
m365.experts = { ex_bad_ck, ex_short, ex_bad_len }

-- one field per register: m365.bms.<name> / m365.esc.<name> (raw value; the label adds the
-- scaled value and unit)
local function reg_fields(prefix, regs)
  for _, r in ipairs(regs) do
    local abbr = "m365." .. prefix .. "." .. r.name
    if r.kind == "ascii" then
      r.field = ProtoField.string(abbr, r.name)
    elseif r.kind == "s16" then
      r.field = ProtoField.int16(abbr, r.name)
    elseif r.kind == "u32" then
      r.field = ProtoField.uint32(abbr, r.name)
    elseif r.kind == "lobyte" then
      r.field = ProtoField.uint8(abbr, r.name)
    elseif r.kind == "hex16" or r.kind == "status" then
      r.field = ProtoField.uint16(abbr, r.name, base.HEX)
    elseif r.kind == "temp2" then
      r.field = ProtoField.uint16(abbr, r.name, base.HEX)
      r.t1 = ProtoField.int16(abbr .. ".t1", "T1 (C)")
      r.t2 = ProtoField.int16(abbr .. ".t2", "T2 (C)")
    else
      r.field = ProtoField.uint16(abbr, r.name)
    end
  end
end
reg_fields("bms", BMS_REGS)
reg_fields("esc", ESC_REGS)
local m365_list = {}
for _, f in pairs(mf) do m365_list[#m365_list + 1] = f end
for _, regs in ipairs({ BMS_REGS, ESC_REGS }) do
  for _, r in ipairs(regs) do
    m365_list[#m365_list + 1] = r.field
    if r.t1 then
      m365_list[#m365_list + 1] = r.t1
      m365_list[#m365_list + 1] = r.t2
    end
  end
end
m365.fields = m365_list

local function map_for(addr)
  if addr == 0x22 or addr == 0x25 then return BMS_REGS end
  if addr == 0x20 or addr == 0x23 then return ESC_REGS end
  return nil
end

local function register_name(regs, word)
  if not regs then return nil end
  for _, r in ipairs(regs) do
    if r.word == word then return r.name end
  end
  return nil
end

-- checksum over n bytes of tvb from offset off
local function checksum(tvb, off, n)
  local s = 0
  for i = off, off + n - 1 do s = s + tvb(i, 1):uint() end
  return bxor(band(s, 0xFFFF), 0xFFFF)
end

local function scaled_text(r, raw)
  if r.kind == "status" then
    local names = {}
    for b = 0, 15 do
      if band(rshift(raw, b), 1) == 1 then names[#names + 1] = STATUS_BITS[b] or ("bit" .. b) end
    end
    return " [" .. table.concat(names, ",") .. "]"
  elseif r.kind == "date" then
    return string.format(" (%04d-%02d-%02d)", 2000 + rshift(raw, 9), band(rshift(raw, 5), 0xF),
                         band(raw, 0x1F))
  elseif r.kind == "hex16" or r.kind == "ascii" or r.kind == "temp2" then
    return ""
  end
  return string.format(" (%.6g %s)", raw * r.scale, r.unit)
end

-- adds the registers wholly inside data starting at word `arg`; returns a short summary
local function add_registers(tvb, tree, regs, arg, off, n)
  local start, stop = 2 * arg, 2 * arg + n
  local parts = {}
  for _, r in ipairs(regs) do
    local fs = 2 * r.word
    if fs >= start and fs + r.bytes <= stop then
      local range = tvb(off + fs - start, r.bytes)
      if r.kind == "ascii" then
        local item = tree:add(r.field, range, range:string())
        parts[#parts + 1] = r.name .. "=\"" .. range:string() .. "\""
      elseif r.kind == "temp2" then
        local sub = tree:add_le(r.field, range)
        sub:add(r.t1, range(0, 1), range(0, 1):uint() - 20)
        sub:add(r.t2, range(1, 1), range(1, 1):uint() - 20)
        parts[#parts + 1] = string.format("t1=%dC t2=%dC", range(0, 1):uint() - 20,
                                          range(1, 1):uint() - 20)
      elseif r.kind == "lobyte" then
        tree:add(r.field, range(0, 1))
        parts[#parts + 1] = r.name .. "=" .. range(0, 1):uint()
      else
        local raw = (r.kind == "s16") and range:le_int() or range:le_uint()
        tree:add_le(r.field, range):append_text(scaled_text(r, raw))
        if r.kind == "hex16" or r.kind == "status" then
          parts[#parts + 1] = string.format("%s=0x%04X", r.name, raw)
        else
          parts[#parts + 1] = string.format("%s=%.6g%s", r.name, raw * r.scale, r.unit)
        end
      end
    end
  end
  return table.concat(parts, " ")
end

-- what bmsrig decode calls the frame: read, read-reply, write, write-ack, ...
local function kind_name(addr, cmd)
  local request = addr == 0x20 or addr == 0x21 or addr == 0x22
  if cmd == 0x01 then return request and "read" or "read-reply" end
  if cmd == 0x02 then return request and "write" or "write-ack" end
  if cmd == 0x03 then return "write-noreply" end
  if cmd == 0x61 then return "head-read" end
  if cmd == 0x64 then return "head-update" end
  if cmd == 0x65 then return "head-out" end
  return string.format("cmd 0x%02X", cmd)
end

-- dissects one 55 AA frame at tvb(off .. off+n); returns the Info text
local function dissect_frame(tvb, pinfo, tree, off, n)
  local t = tree:add(m365, tvb(off, n))
  if n < 2 or tvb(off, 1):uint() ~= 0x55 or tvb(off + 1, 1):uint() ~= 0xAA then
    t:add(mf.garbage, tvb(off, n))
    t:set_text("Garbage: " .. n .. " bytes with no frame start")
    return "garbage, " .. n .. " bytes"
  end
  t:add(mf.sync, tvb(off, 2))
  if n < 3 then
    t:add_proto_expert_info(ex_short)
    return "truncated frame"
  end
  local len = tvb(off + 2, 1):uint()
  local len_item = t:add(mf.len, tvb(off + 2, 1))
  if len < 2 then
    len_item:add_proto_expert_info(ex_bad_len)
    return "bad length"
  end
  local total = len + 6
  if n < total then
    -- what there is, then the expert note
    if n >= 4 then t:add(mf.addr, tvb(off + 3, 1)) end
    if n >= 5 then t:add(mf.cmd, tvb(off + 4, 1)) end
    if n >= 6 then t:add(mf.arg, tvb(off + 5, 1)) end
    t:add_proto_expert_info(ex_short, string.format("Frame cut short: %d of %d bytes", n, total))
    return string.format("truncated frame (%d of %d bytes)", n, total)
  end
  local addr = tvb(off + 3, 1):uint()
  local cmd = tvb(off + 4, 1):uint()
  local arg = tvb(off + 5, 1):uint()
  t:add(mf.addr, tvb(off + 3, 1))
  local dir = DIRECTION[addr] or "?"
  t:add(mf.direction, tvb(off + 3, 1), dir)
  t:add(mf.cmd, tvb(off + 4, 1))
  local regs = map_for(addr)
  t:add(mf.arg, tvb(off + 5, 1))
  local rname = register_name(regs, arg)
  if rname then t:add(mf.register, tvb(off + 5, 1), rname) end
  local plen = len - 2
  local info = string.format("%s %s 0x%02X", dir, kind_name(addr, cmd), arg)
  if rname then info = info .. " (" .. rname .. ")" end
  if plen > 0 then
    local pr = tvb(off + 6, plen)
    local ptree = t:add(mf.payload, pr)
    local request = addr == 0x20 or addr == 0x21 or addr == 0x22
    local reply = addr == 0x23 or addr == 0x24 or addr == 0x25
    if request and cmd == 0x01 and plen == 1 then
      ptree:add(mf.read_bytes, pr)
      info = info .. string.format(" %d bytes", pr:uint())
    elseif regs and ((reply and cmd == 0x01) or (request and (cmd == 0x02 or cmd == 0x03))) then
      local text = add_registers(tvb, ptree, regs, arg, off + 6, plen)
      if text ~= "" then info = info .. " " .. text end
    end
  end
  local found = tvb(off + 6 + plen, 2):le_uint()
  local expected = checksum(tvb, off + 2, len + 2)
  t:add_le(mf.checksum, tvb(off + 6 + plen, 2))
  t:add(mf.checksum_calc, tvb(off + 6 + plen, 2), expected):set_generated()
  local good = found == expected
  local st = t:add(mf.checksum_status, tvb(off + 6 + plen, 2), good and 1 or 0)
  st:set_generated()
  if not good then
    st:add_proto_expert_info(ex_bad_ck, string.format("Bad checksum 0x%04X, expected 0x%04X", found, expected))
    info = info .. " [BAD CHECKSUM]"
  end
  if n > total then t:add(mf.trailing, tvb(off + total, n - total)) end
  t:append_text(": " .. dir .. " " .. kind_name(addr, cmd) .. string.format(" 0x%02X", arg))
  return info
end

local function frame_is_valid(tvb, off, n)
  if n < 8 or tvb(off, 1):uint() ~= 0x55 or tvb(off + 1, 1):uint() ~= 0xAA then return false end
  local len = tvb(off + 2, 1):uint()
  if len < 2 or n ~= len + 6 then return false end
  return tvb(off + len + 4, 2):le_uint() == checksum(tvb, off + 2, len + 2)
end

function rec.dissector(tvb, pinfo, tree)
  if tvb:len() < 12 then return 0 end
  pinfo.cols.protocol = "M365"
  local h = tree:add(rec, tvb(0, 12))
  h:add(rf.version, tvb(0, 1))
  local wire = tvb(1, 1):uint()
  h:add(rf.wire, tvb(1, 1))
  local marks = tvb(2, 2):le_uint()
  local mt = h:add_le(rf.marks, tvb(2, 2))
  local mark_names = {}
  for _, m in ipairs(MARKS) do
    mt:add_le(m.field, tvb(2, 2))
    if band(marks, m.bit) ~= 0 then mark_names[#mark_names + 1] = m.abbr end
  end
  local received = tvb(4, 1):uint()
  local ri = h:add(rf.received, tvb(4, 1))
  local nsent = tvb(6, 2):le_uint()
  h:add_le(rf.sent_len, tvb(6, 2))
  h:add_le(rf.delay, tvb(8, 4))
  if wire == 0 then
    pinfo.cols.src = "controller"; pinfo.cols.dst = "BMS"
  elseif wire == 1 then
    pinfo.cols.src = "BMS"; pinfo.cols.dst = "controller"
  end
  if nsent > tvb:len() - 12 then nsent = tvb:len() - 12 end
  local info = ""
  if nsent > 0 then info = dissect_frame(tvb, pinfo, tree, 12, nsent) end
  if received == 1 then
    ri:add_proto_expert_info(ex_lost)
  elseif received == 2 then
    local nrx = tvb:len() - 12 - nsent
    if nrx > 0 then
      h:add(rf.rx, tvb(12 + nsent, nrx))
      h:add(rf.rx_valid, tvb(12 + nsent, nrx), frame_is_valid(tvb, 12 + nsent, nrx)):set_generated()
    else
      h:add(rf.rx_valid, tvb(4, 1), false):set_generated()
    end
    ri:add_proto_expert_info(ex_altered)
  end
  if #mark_names > 0 then
    info = info .. " [" .. table.concat(mark_names, "+")
    if received == 1 then info = info .. ": never received"
    elseif received == 2 then info = info .. ": arrived altered" end
    info = info .. "]"
  end
  pinfo.cols.info = info
  return tvb:len()
end

DissectorTable.get("wtap_encap"):add(wtap.USER0, rec)
