# odvd_warnings: an interface target carrying the project's warning flags.
add_library(odvd_warnings INTERFACE)
target_compile_options(odvd_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers>)
if(ODVD_WERROR)
  target_compile_options(odvd_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
endif()
