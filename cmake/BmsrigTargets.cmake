# Helpers shared by every bmsrig target: warning flags for our own code.

# bmsrig_warnings(TARGET): warnings as errors, on our own targets only.
function(bmsrig_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror -Wshadow -Wconversion -Wno-sign-conversion
    -Wstrict-prototypes -Wmissing-prototypes -Wformat=2)
endfunction()
