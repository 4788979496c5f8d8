/* Semihosting: the debugger (here QEMU) executes file and console calls for the target. ARM
 * traps with BKPT 0xAB in Thumb state; RISC-V uses the same operation numbers behind the
 * "slli x0,x0,0x1f; ebreak; srai x0,x0,7" sequence, which must not be compressed and must not
 * straddle a page (it is aligned here), so the debugger can tell it from a plain ebreak. */
#include "ota/port/ota_port_baremetal.h"

#include <string.h>

enum {
    SYS_OPEN = 0x01,
    SYS_CLOSE = 0x02,
    SYS_WRITE0 = 0x04,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_SEEK = 0x0A,
    SYS_FLEN = 0x0C,
    SYS_GET_CMDLINE = 0x15,
    SYS_EXIT_EXTENDED = 0x20,
};
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static long semihost_call(long op, void *arg)
{
#if defined(__arm__)
    register long r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
#elif defined(__riscv)
    register long a0 __asm__("a0") = op;
    register void *a1 __asm__("a1") = arg;
    __asm__ volatile(".option push\n"
                     ".option norvc\n"
                     ".balign 16\n"
                     "slli x0, x0, 0x1f\n"
                     "ebreak\n"
                     "srai x0, x0, 7\n"
                     ".option pop\n"
                     : "+r"(a0)
                     : "r"(a1)
                     : "memory");
    return a0;
#else
#error "semihosting: Cortex-M (ARM) or RISC-V only"
#endif
}

int ota_semihost_open(const char *path, int mode)
{
    long args[3] = {(long)path, mode, (long)strlen(path)};
    return (int)semihost_call(SYS_OPEN, args);
}

int ota_semihost_close(int handle)
{
    long args[1] = {handle};
    return (int)semihost_call(SYS_CLOSE, args);
}

long ota_semihost_read(int handle, void *buf, size_t len)
{
    long args[3] = {handle, (long)buf, (long)len};
    return semihost_call(SYS_READ, args);
}

long ota_semihost_write(int handle, const void *buf, size_t len)
{
    long args[3] = {handle, (long)buf, (long)len};
    return semihost_call(SYS_WRITE, args);
}

long ota_semihost_flen(int handle)
{
    long args[1] = {handle};
    return semihost_call(SYS_FLEN, args);
}

int ota_semihost_seek(int handle, size_t pos)
{
    long args[2] = {handle, (long)pos};
    return (int)semihost_call(SYS_SEEK, args);
}

void ota_semihost_write0(const char *s)
{
    semihost_call(SYS_WRITE0, (void *)s);
}

int ota_semihost_get_cmdline(char *buf, size_t size)
{
    long args[2] = {(long)buf, (long)size};
    return (int)semihost_call(SYS_GET_CMDLINE, args);
}

_Noreturn void ota_semihost_exit(int status)
{
    long args[2] = {(long)ADP_STOPPED_APPLICATION_EXIT, status};
    for (;;) {
        semihost_call(SYS_EXIT_EXTENDED, args);
    }
}
