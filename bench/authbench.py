#!/usr/bin/env python3
"""AUTH benchmark client: how long a valid submission takes alone and while failing AUTH sessions run.

  authbench.py --port P --login L --password W [--attackers 30] [--rounds 5] [--warmup 10]

Each failing session is a process of its own (not a thread), on a loopback source address of its own
(127.0.9.N), repeating STARTTLS + AUTH PLAIN with a wrong password until told to stop. The valid
submission is EHLO, STARTTLS, EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT, from 127.0.8.1.
"""
import argparse
import multiprocessing
import smtplib
import ssl
import statistics
import sys
import time


def context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the node's self-signed certificate
    return ctx


def submit(port, login, password, source):
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port, timeout=120, source_address=(source, 0)) as smtp:
        smtp.ehlo("bench.client")
        smtp.starttls(context=context())
        smtp.ehlo("bench.client")
        smtp.login(login, password)  # AUTH PLAIN (smtplib prefers CRAM-MD5 only when offered)
        smtp.sendmail(login, [login], "From: %s\r\nTo: %s\r\nSubject: auth bench\r\n\r\nbody\r\n" % (login, login))
    return time.monotonic() - started


def attacker(port, index, stop):
    source = "127.0.9.%d" % (index + 1)
    while not stop.is_set():
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=120, source_address=(source, 0)) as smtp:
                smtp.ehlo("attacker")
                smtp.starttls(context=context())
                smtp.ehlo("attacker")
                while not stop.is_set():
                    code, _ = smtp.docmd("AUTH", "PLAIN " + plain("nobody%d@bench.test" % index, "wrong guess"))
                    if code != 535:
                        time.sleep(0.05)  # refused at once (454): do not spin
        except (OSError, smtplib.SMTPException):
            time.sleep(0.1)


def plain(login, password):
    import base64
    return base64.b64encode(("\0%s\0%s" % (login, password)).encode()).decode()


def timed(args, label):
    times = [submit(args.port, args.login, args.password, "127.0.8.1") for _ in range(args.rounds)]
    print("%-34s median %.3f s  (min %.3f, max %.3f, %d submissions)"
          % (label, statistics.median(times), min(times), max(times), len(times)))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--login", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--attackers", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=float, default=10.0)
    args = parser.parse_args()

    submit(args.port, args.login, args.password, "127.0.8.1")  # warm the JVM and the connections
    alone = timed(args, "valid submission alone:")
    stop = multiprocessing.Event()
    procs = [multiprocessing.Process(target=attacker, args=(args.port, i, stop), daemon=True)
             for i in range(args.attackers)]
    for p in procs:
        p.start()
    time.sleep(args.warmup)  # past the first wave: every failing session has failed a few times
    loaded = timed(args, "with %d failing AUTH sessions:" % args.attackers)
    stop.set()
    for p in procs:
        p.join(timeout=150)
        if p.is_alive():
            p.terminate()
    delay = loaded - alone
    print("added delay: %.3f s (goal: under 1 s) -> %s" % (delay, "met" if delay < 1.0 else "NOT met"))
    return 0 if delay < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
