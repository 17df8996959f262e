# Turn the file IN into a C source OUT defining `const char schema_sql[]`
# (NUL-terminated) and `const unsigned long schema_sql_len`.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}"
  "/* Generated from schema.sql by scripts/embed.cmake: do not edit. */\n"
  "const char schema_sql[] = {${bytes} 0x00};\n"
  "const unsigned long schema_sql_len = ${len};\n")
