# Project-wide build options: ccache, sanitizers, the servers' allocator, and
# one helper that gives the project's own targets their warnings (generated
# code is exempt).

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

# convene_server_allocator(<target>): the server binaries allocate with
# jemalloc (Debian's libjemalloc-dev), not glibc's malloc. A gRPC call
# allocates and frees dozens of small objects (call state, metadata,
# protobuf messages, Redis replies) across threads; under load glibc's
# malloc and free were the largest single term of the server's CPU profile
# (perf: about a fifth), and jemalloc's per-thread caches gave 8-30% more
# calls per second in convene-bench (README, Performance). Not under the
# sanitizers, which bring their own allocator.
if(NOT CONVENE_SANITIZE)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()
function(convene_server_allocator target)
  if(TARGET PkgConfig::JEMALLOC)
    target_link_libraries(${target} PRIVATE PkgConfig::JEMALLOC)
  endif()
endfunction()
