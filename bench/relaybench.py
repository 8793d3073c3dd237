#!/usr/bin/python3
"""Helpers of bench/relay-bench.sh (Python standard library only).

  freeport                          print a free TCP port on 127.0.0.1
  set-props FILE KEY=VALUE...       set keys of a .properties file (replace or append)
  rewrite-binds FILE                give every <bind> of an smtpserver.xml a free 127.0.0.1 port;
                                    prints "shipped=chosen" pairs
  submit ...                        the greylisting part's submissions (the throughput part uses
                                    RelayClient.java)
  await-sink ...                    wait for N distinct Message-IDs of a tag at smtp-sink; count
                                    missing, duplicates and DKIM-signed
  cpu NAME=PID...                   CPU seconds of process trees, split James / Cassandra / the rest
  metric-sum ...                    sum of a metric's lines on a Prometheus page
  dkim-txt                          `dkim dns` zone lines -> dnsmasq --txt-record values
  greylist-report ...               over-delay and attempts per recipient from receivers' Postfix logs
"""
import argparse
import itertools
import os
import re
import smtplib
import socket
import ssl
import sys
import threading
import time
from datetime import datetime
from email.utils import formatdate


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cmd_freeport(_):
    print(free_port())


def cmd_set_props(args):
    with open(args.file, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for pair in args.pairs:
        key, value = pair.split("=", 1)
        found = False
        for i, line in enumerate(lines):
            if line.startswith(key + "="):
                lines[i] = key + "=" + value
                found = True
        if not found:
            if lines and lines[-1] == "":
                lines.insert(len(lines) - 1, key + "=" + value)
            else:
                lines.append(key + "=" + value)
    with open(args.file, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def cmd_rewrite_binds(args):
    with open(args.file, encoding="utf-8") as f:
        text = f.read()
    pairs = []

    def replace(match):
        port = free_port()
        pairs.append("%s=%d" % (match.group(1), port))
        return "<bind>127.0.0.1:%d</bind>" % port

    text = re.sub(r"<bind>0\.0\.0\.0:(\d+)</bind>", replace, text)
    with open(args.file, "w", encoding="utf-8") as f:
        f.write(text)
    print(" ".join(pairs))


# ------------------------------------------------------------------ submission load

FILLER = ("The quick brown fox jumps over the lazy dog; relay benchmark filler text, "
          "line %04d.\r\n")


def bulk_recipients(n, per_message, domains):
    # distinct domains within a message, every domain used evenly over the run
    return ["r%d-%d@%s" % (n, j, domains[(n + j) % len(domains)]) for j in range(per_message)]


def message_bytes(sender, recipients, message_id, size):
    head = ("From: Bench <%s>\r\nTo: %s\r\nSubject: relay benchmark %s\r\nDate: %s\r\n"
            "Message-ID: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            % (sender, ", ".join(recipients), message_id, formatdate(localtime=True), message_id))
    body = []
    length = len(head)
    line = 0
    end = "end of message %s\r\n" % message_id
    while length + len(end) < size:
        text = FILLER % line
        body.append(text)
        length += len(text)
        line += 1
    body.append(end)
    return (head + "".join(body)).encode("ascii")


class Session:
    def __init__(self, args):
        self.args = args
        self.smtp = None

    def open(self):
        a = self.args
        smtp = smtplib.SMTP(a.host, a.port, local_hostname="client.bench.test", timeout=300)
        smtp.ehlo()
        if a.starttls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            smtp.starttls(context=context)
            smtp.ehlo()
        if a.user:
            smtp.user, smtp.password = a.user, a.password
            smtp.auth("PLAIN", smtp.auth_plain)
        self.smtp = smtp

    def send(self, recipients, data):
        """One transaction; returns the intake latency: seconds from the end of the data (the final dot
        handed to the socket) to the server's reply."""
        smtp = self.smtp
        code, resp = smtp.mail(self.args.sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, resp, self.args.sender)
        refused = {}
        for recipient in recipients:
            code, resp = smtp.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, resp)
        if len(refused) == len(recipients):
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused(refused)
        code, resp = smtp.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, resp)
        stuffed = re.sub(rb"(?m)^\.", b"..", data)
        if not stuffed.endswith(b"\r\n"):
            stuffed += b"\r\n"
        smtp.send(stuffed + b".\r\n")
        start = time.perf_counter()
        code, resp = smtp.getreply()
        latency = time.perf_counter() - start
        if code != 250:
            raise smtplib.SMTPDataError(code, resp)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
        return latency

    def close(self):
        try:
            self.smtp.quit()
        except Exception:
            pass


def cmd_submit(args):
    if args.each:
        jobs = [[r] for r in args.each.split(",") if r]
    else:
        domains = args.domains.split(",")
        jobs = [bulk_recipients(n, args.rcpts, domains) for n in range(args.count)]
    counter = itertools.count()
    lock = threading.Lock()
    errors = []
    latencies = []
    started = {}
    login_lock = threading.Lock()

    def mark_start():
        started["t0"] = time.time()

    barrier = threading.Barrier(args.sessions, action=mark_start)

    def work():
        session = Session(args)
        try:
            # one login at a time: Dispatch caps concurrent AUTH per client address
            with login_lock:
                session.open()
        except Exception as e:
            with lock:
                errors.append("session: %r" % (e,))
            barrier.abort()
            return
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            session.close()
            return
        while True:
            with lock:
                n = next(counter)
            if n >= len(jobs):
                break
            message_id = "<%s.%d@bench.test>" % (args.tag, n)
            data = message_bytes(args.sender, jobs[n], message_id, args.size)
            try:
                latency = session.send(jobs[n], data)
                with lock:
                    latencies.append(latency)
            except smtplib.SMTPServerDisconnected as e:
                with lock:
                    errors.append("message %d: %r" % (n, e))
                try:
                    session.open()
                except Exception as e2:
                    with lock:
                        errors.append("reconnect: %r" % (e2,))
                    return
            except Exception as e:
                with lock:
                    errors.append("message %d: %r" % (n, e))
                try:
                    session.smtp.rset()
                except Exception:
                    pass
        session.close()

    threads = [threading.Thread(target=work) for _ in range(args.sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t1 = time.time()
    for e in errors[:5]:
        print("submit error: " + e, file=sys.stderr)
    millis = [1000.0 * value for value in latencies] or [0.0]
    print("t0=%.3f submitted=%.3f messages=%d recipients=%d errors=%d intake_p50_ms=%.1f intake_p99_ms=%.1f"
          % (started.get("t0", 0.0), t1, len(jobs), sum(len(j) for j in jobs), len(errors),
             percentile(millis, 50), percentile(millis, 99)))
    return 1 if errors else 0


# ------------------------------------------------------------------ sink counting

RCPT = re.compile(rb"^X-Rcpt-Args: <([^>]*)>", re.M)
MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)", re.M | re.I)


def scan_sink(directory, tag, seen):
    """Reads the sink's new complete dump files of this tag into seen (file name -> (message id,
    signed, mtime), or None for another tag's file)."""
    for name in os.listdir(directory):
        if name in seen:
            continue
        path = os.path.join(directory, name)
        try:
            with open(path, "rb") as f:
                data = f.read()
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            continue
        mid = MESSAGE_ID.search(data)
        if not mid:
            continue   # headers not written yet
        if tag not in mid.group(1):
            seen[name] = None
            continue
        if b"end of message " + mid.group(1) not in data:
            continue   # still being written
        head = data.split(b"\r\n\r\n", 1)[0]
        seen[name] = (mid.group(1), b"\nDKIM-Signature:" in head, mtime)


def cmd_await_sink(args):
    """Waits until the sink has N distinct Message-IDs of the tag (or nothing new came for --stall
    seconds), then --settle seconds more to catch late duplicates. Exit 0 only for exactly N distinct
    Message-IDs, each once."""
    tag = args.tag.encode()
    seen = {}
    last_change, last_count = time.time(), 0
    settled_at = None
    while True:
        scan_sink(args.dir, tag, seen)
        files = [v for v in seen.values() if v]
        distinct = len(set(v[0] for v in files))
        now = time.time()
        if len(files) != last_count:
            last_change, last_count = now, len(files)
        if settled_at is None and distinct >= args.messages:
            settled_at = now
        if settled_at is not None and now - settled_at >= args.settle:
            break
        if now - last_change > args.stall:
            break
        time.sleep(0.2)
    ids = {}
    for v in files:
        ids[v[0]] = ids.get(v[0], 0) + 1
    duplicates = sum(c - 1 for c in ids.values())
    missing = max(0, args.messages - len(ids))
    signed = sum(1 for v in files if v[1])
    # the last message that made the count complete, not a late duplicate
    firsts = sorted(min(v[2] for v in files if v[0] == mid) for mid in ids)
    end = (firsts[-1] if firsts else 0) / 1e9
    print("end=%.3f files=%d distinct=%d missing=%d duplicates=%d dkim_signed=%d"
          % (end, len(files), len(ids), missing, duplicates, signed))
    return 0 if len(ids) == args.messages and duplicates == 0 else 1


# ------------------------------------------------------------------ CPU time of process trees

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def processes():
    """pid -> (parent pid, CPU ticks of itself and of its reaped children, command line)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as f:
                stat = f.read()
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        # after the name: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based in proc(5)
        ticks = sum(int(x) for x in fields[11:15])
        table[int(entry)] = (int(fields[1]), ticks, cmdline)
    return table


def kind_of(cmdline):
    if b"org.apache.cassandra" in cmdline:
        return "cassandra"
    if b"MemoryJamesServerMain" in cmdline:
        return "james"
    return "rest"


def cmd_cpu(args):
    """For each NAME=PID: CPU seconds used so far by the process tree under PID (utime + stime, and
    cutime + cstime for the children it reaped), split by kind: NAME.james, NAME.cassandra, NAME.rest."""
    table = processes()
    children = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out = []
    for spec in args.trees:
        name, root = spec.split("=", 1)
        sums = {"james": 0, "cassandra": 0, "rest": 0}
        todo = [int(root)] if int(root) in table else []
        while todo:
            pid = todo.pop()
            sums[kind_of(table[pid][2])] += table[pid][1]
            todo.extend(children.get(pid, []))
        for kind, ticks in sums.items():
            out.append("%s.%s=%.2f" % (name, kind, ticks / CLOCK_TICKS))
    print(" ".join(out))


def cmd_metric_sum(args):
    """Sum of the values of the Prometheus lines whose name starts with PREFIX; prints nothing when
    there is no such line (or the page cannot be read)."""
    import urllib.request
    try:
        with urllib.request.urlopen(args.url, timeout=10) as response:
            text = response.read().decode("utf-8", "replace")
    except Exception:
        return 0
    total, found = 0.0, False
    for line in text.splitlines():
        if line.startswith(args.prefix):
            try:
                total += float(line.rsplit(None, 1)[1])
                found = True
            except (IndexError, ValueError):
                pass
    if found:
        print("%.0f" % total)
    return 0


def cmd_dkim_txt(_):
    """Zone lines of `dkim dns` on stdin -> dnsmasq --txt-record values (NAME,STRING,STRING...)."""
    for line in sys.stdin:
        m = re.match(r"\s*(\S+?)\.?\s+IN\s+TXT\s+\(?(.*)", line)
        if not m:
            continue
        strings = re.findall(r'"([^"]*)"', m.group(2))
        if strings:
            print(m.group(1) + "," + ",".join(strings))


# ------------------------------------------------------------------ greylisting report

STAMP = r"^(\w{3} +\d+ \d\d:\d\d:\d\d(?:\.\d+)?) "
GREYLISTED = re.compile(STAMP + r".*NOQUEUE: reject: RCPT from .*: 450 .*Greylisted.* to=<([^>]+)>")
SENT = re.compile(STAMP + r".* to=<([^>]+)>, relay=.*status=sent")


def stamp(text):
    year = datetime.now().year
    fmt = "%Y %b %d %H:%M:%S.%f" if "." in text else "%Y %b %d %H:%M:%S"
    return datetime.strptime("%d %s" % (year, re.sub(" +", " ", text)), fmt).timestamp()


def percentile(values, p):
    # nearest rank
    ordered = sorted(values)
    rank = max(1, int(-(-p * len(ordered) // 100)))
    return ordered[rank - 1]


def cmd_greylist_report(args):
    """One line per (system, D): over-delay p50/p95 and attempts, from the receiver's log."""
    rejects, sent = {}, {}
    with open(args.log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = GREYLISTED.search(line)
            if m:
                rejects.setdefault(m.group(2).lower(), []).append(stamp(m.group(1)))
                continue
            m = SENT.search(line)
            if m:
                sent.setdefault(m.group(2).lower(), stamp(m.group(1)))
    for system in args.systems.split(","):
        prefix = "gl-%s-" % system
        rcpts = sorted(set(r for r in list(rejects) + list(sent) if r.startswith(prefix)))
        expected = args.expected
        over, attempts, missing = [], [], expected - len([r for r in rcpts if r in sent])
        for r in rcpts:
            if r not in sent:
                continue
            first = min(rejects.get(r, [sent[r]]))
            over.append(sent[r] - first - args.delay)
            attempts.append(len(rejects.get(r, [])) + 1)
        if over:
            print("system=%s delay=%d delivered=%d missing=%d p50=%.0f p95=%.0f max=%.0f attempts_p50=%d"
                  " attempts_p95=%d attempts_max=%d attempts=%s"
                  % (system, args.delay, len(over), missing, percentile(over, 50), percentile(over, 95),
                     max(over), percentile(attempts, 50), percentile(attempts, 95), max(attempts),
                     "/".join(str(a) for a in sorted(attempts))))
        else:
            print("system=%s delay=%d delivered=0 missing=%d" % (system, args.delay, missing))


def cmd_greylist_done(args):
    """Exit 0 once every expected recipient of the log has been relayed to the sink."""
    count = 0
    with open(args.log, encoding="utf-8", errors="replace") as f:
        for line in f:
            if SENT.search(line) and "to=<gl-" in line:
                count += 1
    print(count)
    return 0 if count >= args.expected else 1


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("freeport").set_defaults(func=cmd_freeport)
    p = sub.add_parser("set-props")
    p.add_argument("file")
    p.add_argument("pairs", nargs="*")
    p.set_defaults(func=cmd_set_props)
    p = sub.add_parser("rewrite-binds")
    p.add_argument("file")
    p.set_defaults(func=cmd_rewrite_binds)
    p = sub.add_parser("submit")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sessions", type=int, default=4)
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--sender", required=True)
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--domains", default="")
    p.add_argument("--rcpts", type=int, default=3)
    p.add_argument("--each", help="comma-separated recipients, one message each")
    p.add_argument("--size", type=int, default=2048)
    p.add_argument("--tag", required=True)
    p.set_defaults(func=cmd_submit)
    p = sub.add_parser("await-sink")
    p.add_argument("--dir", required=True)
    p.add_argument("--messages", type=int, required=True)
    p.add_argument("--tag", required=True)
    p.add_argument("--stall", type=float, default=120)
    p.add_argument("--settle", type=float, default=3)
    p.set_defaults(func=cmd_await_sink)
    p = sub.add_parser("cpu")
    p.add_argument("trees", nargs="+")
    p.set_defaults(func=cmd_cpu)
    p = sub.add_parser("metric-sum")
    p.add_argument("--url", required=True)
    p.add_argument("--prefix", required=True)
    p.set_defaults(func=cmd_metric_sum)
    sub.add_parser("dkim-txt").set_defaults(func=cmd_dkim_txt)
    p = sub.add_parser("greylist-report")
    p.add_argument("--log", required=True)
    p.add_argument("--delay", type=int, required=True)
    p.add_argument("--systems", required=True)
    p.add_argument("--expected", type=int, required=True)
    p.set_defaults(func=cmd_greylist_report)
    p = sub.add_parser("greylist-done")
    p.add_argument("--log", required=True)
    p.add_argument("--expected", type=int, required=True)
    p.set_defaults(func=cmd_greylist_done)
    args = parser.parse_args()
    sys.exit(args.func(args) or 0)


if __name__ == "__main__":
    main()
