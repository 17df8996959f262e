# Copy Redoc's standalone bundle IN to OUT without its one request to another
# host: the "API docs by Redocly" logo in the menu's footer is an <img> of
# https://cdn.redoc.ly/redoc/logo-mini.svg, which the /docs page's CSP would
# refuse anyway. It becomes "data:," (an empty image): Redoc's own onError
# then drops the <img>. Any other mention of that host left in the bundle
# (a newer Redoc) stops the build, so nothing is ever fetched from it.
file(READ "${IN}" text)
string(REPLACE "https://cdn.redoc.ly/redoc/logo-mini.svg" "data:," text "${text}")
string(FIND "${text}" "cdn.redoc.ly" left)
if(NOT left EQUAL -1)
  message(FATAL_ERROR "${IN} still names cdn.redoc.ly: see scripts/redoc-offline.cmake")
endif()
file(WRITE "${OUT}" "${text}")
