/*
 * HotSpot's disassembler plugin for JDK 25 on top of Debian's libhsdis0-fcml.
 *
 * Debian packages hsdis (FCML backend) with the old entry point only (decode_instructions); JDK 17 and later
 * look for decode_instructions_virtual and print raw bytes without it. For code the JVM disassembles in
 * place (its own code cache: the buffer is the code), the two take the same range, so the new entry point
 * forwards to the old one. Built by asm-profile.sh into ~/.cache/panamux/hsdis/hsdis-amd64.so.
 */
#include <stdint.h>

typedef void *(*hsdis_event_callback)(void *stream, const char *event, void *arg);
typedef int (*hsdis_printf_callback)(void *stream, const char *format, ...);

extern void *decode_instructions(void *start_pc, void *end_pc, hsdis_event_callback event_callback,
    void *event_stream, hsdis_printf_callback printf_callback, void *printf_stream, const char *options);

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
    hsdis_event_callback event_callback, void *event_stream, hsdis_printf_callback printf_callback,
    void *printf_stream, const char *options, int newline)
{
    (void)start_va;
    (void)end_va;
    (void)newline;
    return decode_instructions(buffer, buffer + length, event_callback, event_stream, printf_callback,
        printf_stream, options);
}
