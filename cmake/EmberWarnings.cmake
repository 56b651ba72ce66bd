# Warnings are errors everywhere in the engine (CI builds exactly this).
add_library(ember_warnings INTERFACE)
if(MSVC)
  target_compile_options(ember_warnings INTERFACE /W4 /WX)
else()
  target_compile_options(ember_warnings INTERFACE -Wall -Wextra -Werror)
endif()

if(EMBER_SANITIZE)
  add_compile_options(-fsanitize=${EMBER_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${EMBER_SANITIZE})
endif()
