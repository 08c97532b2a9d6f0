#!/usr/bin/env python3
"""demo_cut.py - the first N messages of a Quake III / OpenArena demo.

    demo_cut.py IN.dm_71 OUT.dm_71 N

A demo file is a sequence of server messages, each framed as a
little-endian int32 sequence number and an int32 length, then the message;
a length of -1 ends it.  Keeping the first N messages (the first carries the
game state) and writing the end marker gives a valid, shorter demo: under
TCG the full OpenArena benchmark demo (3389 messages) takes many minutes per
run, so the suite plays a cut of fixed length.  Prints the number of
messages kept and the total in the input.
"""
import struct
import sys


def main():
    if len(sys.argv) != 4 or not sys.argv[3].isdigit() or int(sys.argv[3]) < 1:
        sys.exit("usage: demo_cut.py IN OUT N  (N >= 1 messages)")
    data = open(sys.argv[1], "rb").read()
    want = int(sys.argv[3])
    off = kept = total = 0
    end = None
    while off + 8 <= len(data):
        _seq, length = struct.unpack_from("<ii", data, off)
        if length == -1:
            break
        if length < 0 or off + 8 + length > len(data):
            sys.exit("demo_cut.py: %s: broken message frame at byte %d" % (sys.argv[1], off))
        total += 1
        off += 8 + length
        if total == want:
            end = off
    if total == 0:
        sys.exit("demo_cut.py: %s: no messages" % sys.argv[1])
    if end is None:
        end = off
    kept = min(want, total)
    with open(sys.argv[2], "wb") as f:
        f.write(data[:end])
        f.write(struct.pack("<ii", -1, -1))
    print(kept, total)


if __name__ == "__main__":
    main()
