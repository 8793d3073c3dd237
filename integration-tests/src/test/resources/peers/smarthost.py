"""A smart host for tests: aiosmtpd on one address and port, TLS (STARTTLS, or implicit TLS on a
465-style port) and AUTH PLAIN/LOGIN required for one user. Every accepted message is written to
the store folder as NNNNNN.eml, with its envelope in NNNNNN.env beside it ("name: value" lines,
written after the message, so a reader that sees the .env sees the whole message).

Usage: smarthost.py ADDRESS PORT CERT KEY USER PASSWORD STORE_DIR (starttls|implicit)
Prints "READY" on standard output once it listens.
"""
import asyncio
import itertools
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main():
    address, port, cert, key, user, password, store, mode = sys.argv[1:9]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    counter = itertools.count(1)

    def authenticate(server, session, envelope, mechanism, auth_data):
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login.decode("utf-8", "replace") == user \
            and auth_data.password.decode("utf-8", "replace") == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    class Store:
        async def handle_DATA(self, server, session, envelope):
            number = next(counter)
            base = os.path.join(store, "%06d" % number)
            with open(base + ".eml.tmp", "wb") as out:
                out.write(envelope.original_content or envelope.content)
            os.rename(base + ".eml.tmp", base + ".eml")
            login = session.auth_data.login.decode("utf-8", "replace") if session.auth_data else ""
            lines = ["mail_from: " + envelope.mail_from, "mail_options: " + " ".join(envelope.mail_options)]
            lines += ["rcpt_to: " + rcpt for rcpt in envelope.rcpt_tos]
            lines.append("rcpt_options: " + " ".join(envelope.rcpt_options))
            lines += ["login: " + login, "tls: " + ("yes" if session.ssl is not None else "no"),
                      "peer: " + session.peer[0], "helo: " + (session.host_name or "")]
            with open(base + ".env.tmp", "w") as out:
                out.write("\n".join(lines) + "\n")
            os.rename(base + ".env.tmp", base + ".env")
            return "250 2.0.0 Ok: stored as %06d" % number

    class ImplicitTlsSMTP(SMTP):
        """aiosmtpd knows TLS only from STARTTLS; on a 465-style port the connection is TLS from its
        first byte, so say so (AUTH is then allowed, and the envelope records tls: yes)."""

        def connection_made(self, transport):
            super().connection_made(transport)
            ssl_object = transport.get_extra_info("ssl_object")
            if ssl_object is not None:
                self._tls_protocol = transport
                self.session.ssl = {"ssl_object": ssl_object}

    def factory():
        options = dict(hostname="smarthost.test", auth_required=True, auth_require_tls=True,
                       authenticator=authenticate, auth_exclude_mechanism=["CRAM-MD5"])
        if mode == "starttls":
            options.update(tls_context=context, require_starttls=True)
            return SMTP(Store(), **options)
        return ImplicitTlsSMTP(Store(), **options)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        factory, host=address, port=int(port), ssl=context if mode == "implicit" else None))
    print("READY", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
