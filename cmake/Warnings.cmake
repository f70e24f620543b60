# One warning set for every project target (style guide B10).
add_library(dagda_warnings INTERFACE)
target_compile_options(dagda_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wno-sign-conversion)
if(DAGDA_WERROR)
  target_compile_options(dagda_warnings INTERFACE -Werror)
endif()
