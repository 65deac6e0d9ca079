# Embed.cmake: turns a text file into a C header holding its bytes (cmake -P script).
#   cmake -DIN=file -DOUT=header.h -DNAME=symbol -P Embed.cmake
# The header defines `static const char NAME[]` (NUL-terminated) and `NAME_len`.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR nbytes "${nhex} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" body "${body}")
file(WRITE "${OUT}.tmp" "/* generated from ${IN} by cmake/Embed.cmake: do not edit */\n"
     "static const char ${NAME}[] = {\n${body}0x00\n};\n"
     "static const unsigned long ${NAME}_len = ${nbytes}ul;\n")
file(RENAME "${OUT}.tmp" "${OUT}")
