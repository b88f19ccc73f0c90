/*
 * Prebuilt addons only: force-included (-include) into every translation unit by scripts/prebuild.mjs.
 *
 * glibc 2.29 gave exp, log, pow, exp2 and log2 new symbol versions (new code without the old SVID error
 * handling); a library linked on a newer glibc asks for those versions and will not load on an older one.
 * Binding the calls to the original x86-64 versions (GLIBC_2.2.5, still exported by every later glibc) lifts
 * that. On glibc 2.29+ the old version is a thin wrapper over the same code (it adds only the old errno
 * handling, which the addons never read), so the numbers are the same; on an older glibc its own
 * implementation runs, accurate to within an ulp of double as well. A name the code never calls adds nothing.
 */
#if defined(__x86_64__) && defined(__linux__) && !defined(__CUDA_ARCH__)
__asm__(".symver exp,exp@GLIBC_2.2.5");
__asm__(".symver log,log@GLIBC_2.2.5");
__asm__(".symver pow,pow@GLIBC_2.2.5");
__asm__(".symver exp2,exp2@GLIBC_2.2.5");
__asm__(".symver log2,log2@GLIBC_2.2.5");
#endif
