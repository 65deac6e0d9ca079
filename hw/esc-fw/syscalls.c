/* syscalls.c: the newlib hooks the controller firmware links against: a heap for esc_new's
 * one allocation (_sbrk between the end of .bss and the stack's reserve) and stubs for the
 * file calls nothing uses (no I/O: they fail). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

extern uint8_t _end, _heap_limit;
static uint8_t *heap_top = &_end;

void *_sbrk(ptrdiff_t incr);
void *_sbrk(ptrdiff_t incr)
{
    if (incr < 0 || (size_t)(&_heap_limit - heap_top) < (size_t)incr) {
        errno = ENOMEM;
        return (void *)-1;
    }
    uint8_t *old = heap_top;
    heap_top += incr;
    return old;
}

void _exit(int code);
void _exit(int code)
{
    (void)code;
    for (;;)
        __asm__ volatile("wfi");
}

int _close(int fd);
int _close(int fd) { (void)fd; errno = EBADF; return -1; }
int _write(int fd, const void *b, size_t n);
int _write(int fd, const void *b, size_t n) { (void)fd; (void)b; (void)n; errno = EBADF; return -1; }
int _read(int fd, void *b, size_t n);
int _read(int fd, void *b, size_t n) { (void)fd; (void)b; (void)n; errno = EBADF; return -1; }
int _lseek(int fd, int off, int whence);
int _lseek(int fd, int off, int whence) { (void)fd; (void)off; (void)whence; errno = EBADF; return -1; }
int _fstat(int fd, struct stat *st);
int _fstat(int fd, struct stat *st) { (void)fd; (void)st; errno = EBADF; return -1; }
int _isatty(int fd);
int _isatty(int fd) { (void)fd; return 0; }
int _kill(int pid, int sig);
int _kill(int pid, int sig) { (void)pid; (void)sig; errno = EINVAL; return -1; }
int _getpid(void);
int _getpid(void) { return 1; }
