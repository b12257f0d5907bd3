# Project-wide build options: ccache, sanitizers, and one helper that gives the
# project's own targets their warnings (generated code is exempt).

find_program(CONVENE_CCACHE ccache)
if(CONVENE_CCACHE)
  set(CMAKE_C_COMPILER_LAUNCHER "${CONVENE_CCACHE}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CONVENE_CCACHE}")
endif()

if(CONVENE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# convene_target_options(<target>): warnings as errors for code we write.
function(convene_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter)
endfunction()
