# One INTERFACE target carries the warning, sanitizer and hardening flags; every
# target of ours links it (never global flag strings), so distro builds can
# still turn warnings-as-errors off through CMAKE_COMPILE_WARNING_AS_ERROR.
add_library(sidecar_specs INTERFACE)
target_compile_options(sidecar_specs INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wimplicit-fallthrough -Woverloaded-virtual)

if(SIDECAR_SANITIZE)
  target_compile_options(sidecar_specs INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(sidecar_specs INTERFACE -fsanitize=address,undefined)
endif()

# Release hardening (the flags Debian's own packages use).
target_compile_options(sidecar_specs INTERFACE
  $<$<CONFIG:Release,RelWithDebInfo>:-D_FORTIFY_SOURCE=2>
  -fstack-protector-strong)
target_link_options(sidecar_specs INTERFACE -Wl,-z,relro,-z,now)
