/* regmap_lua.c: prints sim/regmap's BMS and ESC tables as the Lua block of the Wireshark
 * dissector (hw/wireshark/m365_bus.lua, between its "BEGIN regmap" and "END regmap" lines), so
 * a test can check the dissector names the same registers as bmsrig decode, and a developer
 * can regenerate the block after changing the map. */
#include <stdio.h>

#include "sim/regmap.h"

static const char *kind_name(enum regmap_kind k)
{
    switch (k) {
    case REGMAP_U16: return "u16";
    case REGMAP_S16: return "s16";
    case REGMAP_U32: return "u32";
    case REGMAP_ASCII: return "ascii";
    case REGMAP_HEX16: return "hex16";
    case REGMAP_STATUS: return "status";
    case REGMAP_TEMP2: return "temp2";
    case REGMAP_DATE: return "date";
    case REGMAP_LOBYTE: return "lobyte";
    }
    return "?";
}

static void print_map(const char *lua_name, const struct regmap *map)
{
    printf("local %s = {\n", lua_name);
    for (size_t i = 0; i < map->count; i++) {
        const struct regmap_field *f = &map->fields[i];
        printf("  { name = \"%s\", word = 0x%02X, bytes = %u, kind = \"%s\", unit = \"%s\", "
               "scale = %.6g },\n",
               f->name, f->word, f->nbytes, kind_name(f->kind), f->unit, f->scale);
    }
    printf("}\n");
}

int main(void)
{
    print_map("BMS_REGS", regmap_bms());
    print_map("ESC_REGS", regmap_esc());
    printf("local STATUS_BITS = {");
    for (unsigned bit = 0; bit < 16; bit++) {
        const char *n = regmap_status_bit_name(bit);
        if (n)
            printf(" [%u] = \"%s\",", bit, n);
    }
    printf(" }\n");
    return 0;
}
