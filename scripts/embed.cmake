# Turn the file IN into a C source OUT defining `const char NAME[]`
# (NUL-terminated) and `const unsigned long NAME_len`.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}"
  "/* Generated from ${IN} by scripts/embed.cmake: do not edit. */\n"
  "const char ${NAME}[] = {${bytes} 0x00};\n"
  "const unsigned long ${NAME}_len = ${len};\n")
