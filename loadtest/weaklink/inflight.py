#!/usr/bin/env python3
"""What a cut threw away below the application: for each TCP connection the client opened to PORT in a packet capture
taken on the client's link device, the bytes it had sent that the server's TCP had not acknowledged when the connection
was reset (in flight on the link or queued at the server), and the totals. Standard library only; reads the capture
through tcpdump.

    inflight.py CAPTURE PORT [LABEL]

A connection counts as cut when the server's side reset it while the client had bytes unacknowledged. Its "in flight"
is the highest stream byte the client sent (until the end: segments its link still sent after the reset count too)
minus the highest the server's TCP acknowledged before the reset: bytes any protocol loses at that cut, whatever it
acknowledges above TCP.
"""
import re
import subprocess
import sys


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    capture, port = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 else capture
    text = subprocess.run(["tcpdump", "-r", capture, "-n", "-tt", "-S", f"tcp port {port}"],
                          capture_output=True, text=True, check=True).stdout
    line_re = re.compile(r"(\d+\.\d+) IP (\S+) > (\S+): Flags \[([^\]]*)\](.*)")
    conns: dict[str, dict] = {}
    for line in text.splitlines():
        m = line_re.match(line)
        if not m:
            continue
        src, dst, flags, rest = m.group(2), m.group(3).rstrip(":"), m.group(4), m.group(5)
        from_client = src.rsplit(".", 1)[1] != port
        client_port = (src if from_client else dst).rsplit(".", 1)[1]
        c = conns.setdefault(client_port, {"isn": None, "high": 0, "acked": 0, "reset": False})
        seq = re.search(r"seq (\d+)(?::(\d+))?", rest)
        ack = re.search(r"ack (\d+)", rest)
        if from_client:
            if "S" in flags and seq:
                c["isn"] = int(seq.group(1))
            elif seq and seq.group(2) and c["isn"] is not None:
                c["high"] = max(c["high"], int(seq.group(2)) - c["isn"])
        elif c["isn"] is not None:
            if "R" in flags:
                c["reset"] = True
            elif ack and not c["reset"]:
                c["acked"] = max(c["acked"], int(ack.group(1)) - c["isn"])
    cut = [c["high"] - c["acked"] for c in conns.values() if c["reset"] and c["high"] > c["acked"]]
    sent = sum(max(0, c["high"] - 1) for c in conns.values())
    print(f"[{label}] connections {len(conns)}, with data {sum(1 for c in conns.values() if c['high'] > 1)}, "
          f"stream bytes sent {sent:,} B; cut with bytes in flight: {len(cut)}"
          + (f", in flight at the cut {', '.join(f'{b:,}' for b in cut)} B (mean {sum(cut) // len(cut):,} B)" if cut else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
