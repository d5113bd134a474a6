# MicroPython helper for the driver tests: a transport= stream (io.IOBase)
# over a real TCP socket to the broker, steered at run time through a dict
# the script shares with every stream it makes (``ctl``):
#   "fail_publish"  True: write() raises OSError(ECONNRESET) for every PUBLISH
#                   packet (nothing of it reaches the socket)
#   "drop_next"     True: the link dies under the next fresh (DUP 0) PUBLISH:
#                   write() reports it written, but its bytes are lost on
#                   the way (never sent) and the socket is closed; the flag
#                   clears itself. Only a re-send can bring that message to
#                   the broker.
#   "read_lie"      None, or a function (n_read, buf_len) -> the count that
#                   readinto() reports (a lying stream)
#   "write_lie"     None, or a function (n_written, buf_len) -> the count that
#                   write() reports
#   "oversize"      list: lengths of buffers longer than MAX_BUF (twice the
#                   default max_packet), or of negative length (a size_t
#                   that wrapped), that the shim handed to readinto() or
#                   write(); such a call is refused with OSError(EIO) without
#                   touching the buffer. The tests' packets are small, so
#                   such a buffer means the shim's count ran past the end of
#                   its own buffer.
# Every write() is accepted whole (or refused whole), so each one starts on a
# packet boundary; write() walks the MQTT packets in it to find PUBLISHes
# (a shim that writes several packets at once is handled too).
import errno
import io
import socket
import time

ECONNRESET = errno.ECONNRESET
EAGAIN = errno.EAGAIN
EIO = errno.EIO
MAX_BUF = 262144


def new_ctl():
    return {"fail_publish": False, "drop_next": False, "read_lie": None, "write_lie": None, "oversize": []}


class LinkStream(io.IOBase):
    def __init__(self, host, port, ctl):
        s = socket.socket()
        s.connect(socket.getaddrinfo(host, port)[0][-1])
        s.setblocking(False)
        self.sock = s
        self.ctl = ctl
        self.dead = False

    def _check(self, buf):
        n = len(buf)         # a size_t gone "negative" shows as n < 0
        if n < 0 or n > MAX_BUF:
            self.ctl["oversize"].append(n)
            raise OSError(EIO)

    def readinto(self, buf):
        self._check(buf)
        if self.dead:
            raise OSError(ECONNRESET)
        try:
            data = self.sock.recv(len(buf))
        except OSError as e:
            if e.args[0] == EAGAIN:
                return None
            raise
        n = len(data)
        buf[:n] = data
        lie = self.ctl["read_lie"]
        if n and lie is not None:
            return lie(n, len(buf))
        return n

    def _send_all(self, buf):
        mv = memoryview(buf)
        sent = 0
        t0 = time.ticks_ms()
        while sent < len(mv):
            try:
                sent += self.sock.send(mv[sent:])
            except OSError as e:
                if e.args[0] != EAGAIN or time.ticks_diff(time.ticks_ms(), t0) > 5000:
                    raise
                time.sleep_ms(1)
        return sent

    @staticmethod
    def _packets(buf):
        """(offset, first byte) of each MQTT packet that starts in buf."""
        out = []
        i = 0
        n = len(buf)
        while i < n:
            out.append((i, buf[i]))
            j = i + 1
            length = 0
            shift = 0
            while j < n and j < i + 5:
                b = buf[j]
                length |= (b & 0x7F) << shift
                shift += 7
                j += 1
                if not b & 0x80:
                    break
            else:
                break
            i = j + length
        return out

    def write(self, buf):
        self._check(buf)
        if self.dead:
            raise OSError(ECONNRESET)
        packets = self._packets(buf)
        if self.ctl["fail_publish"] and any(first >> 4 == 3 for _, first in packets):
            raise OSError(ECONNRESET)
        if self.ctl["drop_next"]:
            for off, first in packets:
                if first >> 4 == 3 and not first & 0x08:
                    # The bytes before this PUBLISH go out; it and the rest are lost.
                    self.ctl["drop_next"] = False
                    if off:
                        self._send_all(memoryview(buf)[:off])
                    self.dead = True
                    self.sock.close()
                    return len(buf)
        n = self._send_all(buf)
        lie = self.ctl["write_lie"]
        if lie is not None:
            return lie(n, len(buf))
        return n

    def ioctl(self, req, arg):
        if req == 4:        # MP_STREAM_CLOSE
            self.dead = True
            try:
                self.sock.close()
            except OSError:
                pass
        return 0
