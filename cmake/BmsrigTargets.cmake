# Helpers shared by every bmsrig target: warning flags for our own code.

# bmsrig_warnings(TARGET): our warning set on our own targets only; warnings become errors when
# BMSRIG_WERROR is ON (developers and CI: `make check` turns it on), so a user's compiler that
# knows a newer warning still builds a release tarball.
function(bmsrig_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion
    -Wstrict-prototypes -Wmissing-prototypes -Wformat=2)
  if(BMSRIG_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
