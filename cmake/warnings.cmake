# Warning flags, one place.  SB_WERROR turns them into errors (CI).
set(SB_C_WARNINGS -Wall -Wextra -Wshadow -Wmissing-prototypes
    -Wstrict-prototypes -Wpointer-arith -Wformat=2)
set(SB_CXX_WARNINGS -Wall -Wextra -Wshadow -Wmissing-declarations
    -Wpointer-arith -Wformat=2)
set(SB_CUDA_WARNINGS -Xcompiler=-Wall)
if(SB_WERROR)
  list(APPEND SB_C_WARNINGS -Werror)
  list(APPEND SB_CXX_WARNINGS -Werror)
  list(APPEND SB_CUDA_WARNINGS --Werror all-warnings)
endif()

# sb_target_warnings(target): apply the project's warnings to C, C++ (the
# CPU-emulated kernel tests) and CUDA sources.
function(sb_target_warnings tgt)
  target_compile_options(${tgt} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:${SB_C_WARNINGS}>
    $<$<COMPILE_LANGUAGE:CXX>:${SB_CXX_WARNINGS}>
    $<$<COMPILE_LANGUAGE:CUDA>:${SB_CUDA_WARNINGS}>)
  if(SB_SANITIZE)
    target_compile_options(${tgt} PRIVATE
      $<$<COMPILE_LANGUAGE:C,CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer>)
    target_link_options(${tgt} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
