# Warnings as an INTERFACE target, linked PRIVATE by our own targets only.
add_library(ilpkit_warnings INTERFACE)
target_compile_options(ilpkit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough)
if(ILPKIT_WERROR)
  target_compile_options(ilpkit_warnings INTERFACE -Werror)
endif()
