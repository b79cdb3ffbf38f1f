"""fngate's mount helper: bind-mounts a function's code onto a pre-warmed sandbox's code slot (code-slot.ts)
with the mount system calls themselves, so adopting a spare costs no process start (a `mount` command
spawned from the gateway took 15-30 ms on the development VM, most of a pooled cold start).

Started once per gateway, as root, by mount-helper.ts; it reads its requests from the gateway's pipe only.
One request per line on stdin, a JSON array:

    ["attach", "<code folder>", "<slot>"]   bind the folder read-only onto the slot (mount --bind -o ro)
    ["detach", "<slot>"]                    lazily unmount the slot (umount -l)

and one answer per line on stdout, in order: `ok`, or `error <message>`. It exits when stdin closes.
"""
import ctypes
import json
import os
import sys

libc = ctypes.CDLL(None, use_errno=True)

MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MNT_DETACH = 2
AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000
OPEN_TREE_CLONE = 1
OPEN_TREE_CLOEXEC = os.O_CLOEXEC
MOVE_MOUNT_F_EMPTY_PATH = 4
MOUNT_ATTR_RDONLY = 1
# Mount API system calls (Linux 5.2 / 5.12): one number on every architecture (the unified table from 424 on).
SYS_OPEN_TREE = 428
SYS_MOVE_MOUNT = 429
SYS_MOUNT_SETATTR = 442


_long = ctypes.c_long


class MountAttr(ctypes.Structure):
    _fields_ = [('attr_set', ctypes.c_uint64), ('attr_clr', ctypes.c_uint64), ('propagation', ctypes.c_uint64), ('userns_fd', ctypes.c_uint64)]


def _check(result, what):
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, '%s: %s' % (what, os.strerror(error)))
    return result


def _attach_detached_tree(source, target):
    """A read-only copy of `source` made before it is attached: the copies propagated into the running
    sandbox (a slave of the slot) are read-only too, where a remount afterwards changes the host's copy only."""
    # Every integer as a long: syscall(2) reads its arguments as longs.
    tree = _check(libc.syscall(_long(SYS_OPEN_TREE), _long(AT_FDCWD), source, _long(OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)), 'open_tree')
    try:
        attr = MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
        _check(libc.syscall(_long(SYS_MOUNT_SETATTR), _long(tree), b'', _long(AT_EMPTY_PATH), ctypes.byref(attr), _long(ctypes.sizeof(attr))), 'mount_setattr')
        _check(libc.syscall(_long(SYS_MOVE_MOUNT), _long(tree), b'', _long(AT_FDCWD), target, _long(MOVE_MOUNT_F_EMPTY_PATH)), 'move_mount')
    finally:
        os.close(tree)


def attach(source, target):
    source, target = os.fsencode(source), os.fsencode(target)
    try:
        _attach_detached_tree(source, target)
        return
    except OSError as error:
        # ENOSYS: a kernel before the mount API; EPERM/EINVAL: a seccomp filter or an older mount_setattr.
        if error.errno not in (38, 1, 22):
            raise
    # What `mount --bind -o ro` does: bind, then remount the bind read-only.
    _check(libc.mount(source, target, None, MS_BIND, None), 'mount --bind')
    _check(libc.mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None), 'mount -o remount,ro')


def detach(target):
    _check(libc.umount2(os.fsencode(target), MNT_DETACH), 'umount -l')


def main():
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
            if request[0] == 'attach':
                attach(request[1], request[2])
            elif request[0] == 'detach':
                detach(request[1])
            else:
                raise ValueError('unknown request %r' % request[0])
            answer = 'ok'
        except Exception as error:
            answer = 'error %s' % str(error).replace('\n', ' ')
        sys.stdout.write(answer + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
