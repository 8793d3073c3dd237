package org.dispatchmail.smtp;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.Username;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.esmtp.EhloExtension;
import org.apache.james.user.api.UsersRepository;
import org.apache.james.user.api.UsersRepositoryException;
import org.dispatchmail.core.submission.AuthThrottle;
import org.dispatchmail.core.submission.CramMd5Exchange;
import org.dispatchmail.core.submission.ScramSha256Exchange;
import org.dispatchmail.core.submission.SubmissionUsers;
import org.dispatchmail.mailets.DispatchRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AUTH for the submission listeners: PLAIN and LOGIN (submission users in Cassandra, then James's
 * own users), CRAM-MD5 and SCRAM-SHA-256 (submission users), offered only inside TLS. A failure
 * answers 535 5.7.8 after the same delay whatever went wrong; repeated failures from one address
 * are throttled across nodes (454 4.7.0). Placed before James's core handlers, it answers every AUTH
 * command, so James's own AUTH handler never runs (its announce is "never").
 */
public class SubmissionAuth implements CommandHandler<SMTPSession>, EhloExtension {
    private static final Logger LOGGER = LoggerFactory.getLogger(SubmissionAuth.class);
    static final ProtocolSession.AttachmentKey<String> MECHANISM =
        ProtocolSession.AttachmentKey.of("dispatch.auth.mechanism", String.class);
    static final String MECHANISMS = "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256";

    private static final Response ENCRYPTION_REQUIRED =
        new SMTPResponse("538", "5.7.11 Encryption required for requested authentication mechanism").immutable();
    private static final Response ALREADY = new SMTPResponse("503", "5.5.1 Already authenticated").immutable();
    private static final Response SYNTAX = new SMTPResponse("501", "5.5.4 Syntax: AUTH mechanism [initial-response]").immutable();
    private static final Response UNKNOWN = new SMTPResponse("504", "5.5.4 Unrecognized authentication mechanism; this server offers "
        + MECHANISMS).immutable();
    private static final Response CANCELLED = new SMTPResponse("501", "5.7.0 Authentication cancelled").immutable();
    private static final Response BAD_BASE64 = new SMTPResponse("501", "5.5.2 Cannot decode the response: it is not base64").immutable();
    private static final Response INVALID = new SMTPResponse("535", "5.7.8 Authentication credentials invalid").immutable();
    private static final Response THROTTLED = new SMTPResponse("454", "4.7.0 Too many failed authentications from your address;"
        + " try again later").immutable();
    private static final Response SUCCESS = new SMTPResponse("235", "2.7.0 Authentication successful").immutable();

    private final DispatchRuntime runtime;
    private final UsersRepository jamesUsers;
    private Duration failureDelay = Duration.ofSeconds(1);

    @Inject
    public SubmissionAuth(DispatchRuntime runtime, UsersRepository jamesUsers) {
        this.runtime = runtime;
        this.jamesUsers = jamesUsers;
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        long millis = config.getLong("failureDelayMillis", 1000L);
        if (millis < 0 || millis > 30_000) {
            throw new ConfigurationException("smtpserver.xml: SubmissionAuth <failureDelayMillis> must be 0 to 30000, not " + millis);
        }
        failureDelay = Duration.ofMillis(millis);
    }

    @Override
    public Collection<String> getImplCommands() {
        return List.of("AUTH");
    }

    @Override
    public List<String> getImplementedEsmtpFeatures(SMTPSession session) {
        return session.isTLSStarted() && session.getUsername() == null ? List.of("AUTH " + MECHANISMS) : List.of();
    }

    @Override
    public Response onCommand(SMTPSession session, Request request) {
        if (!session.isTLSStarted()) {
            return ENCRYPTION_REQUIRED;
        }
        if (session.getUsername() != null) {
            return ALREADY;
        }
        String argument = request.getArgument() == null ? "" : request.getArgument().trim();
        if (argument.isEmpty()) {
            return SYNTAX;
        }
        if (blocked(session)) {
            return THROTTLED;
        }
        int space = argument.indexOf(' ');
        String mechanism = (space < 0 ? argument : argument.substring(0, space)).toUpperCase(Locale.ROOT);
        Optional<String> initial = space < 0 ? Optional.empty() : Optional.of(argument.substring(space + 1).trim());
        switch (mechanism) {
            case "PLAIN":
                return initial.isPresent() ? plain(session, initial.get()) : ask(session, "", line -> plain(session, line));
            case "LOGIN":
                return initial.isPresent() ? loginUser(session, initial.get())
                    : ask(session, base64("Username:"), line -> loginUser(session, line));
            case "CRAM-MD5": {
                CramMd5Exchange exchange = users().startCramMd5(session.getConfiguration().getHelloName());
                // (a challenge needs no Cassandra; the answer is checked against it)
                return ask(session, base64(exchange.challenge()), line -> cramMd5(session, exchange, line));
            }
            case "SCRAM-SHA-256": {
                ScramSha256Exchange exchange = users().startScramSha256();
                return initial.isPresent() ? scramFirst(session, exchange, initial.get())
                    : ask(session, "", line -> scramFirst(session, exchange, line));
            }
            default:
                return UNKNOWN;
        }
    }

    private Response plain(SMTPSession session, String encoded) {
        Optional<String> decoded = decode(encoded);
        if (decoded.isEmpty()) {
            return BAD_BASE64;
        }
        // authzid NUL authcid NUL password; an authzid other than the login is not supported
        String[] parts = decoded.get().split("\0", -1);
        if (parts.length != 3 || (!parts[0].isEmpty() && !parts[0].equalsIgnoreCase(parts[1]))) {
            return failed(session);
        }
        return checkPassword(session, parts[1], parts[2], "PLAIN");
    }

    private Response loginUser(SMTPSession session, String encodedUser) {
        Optional<String> user = decode(encodedUser);
        if (user.isEmpty()) {
            return BAD_BASE64;
        }
        return ask(session, base64("Password:"), line -> {
            Optional<String> password = decode(line);
            return password.isEmpty() ? BAD_BASE64 : checkPassword(session, user.get(), password.get(), "LOGIN");
        });
    }

    private Response checkPassword(SMTPSession session, String login, String password, String mechanism) {
        boolean valid = submissionUserValid(login, password) || jamesUserValid(login, password);
        return valid ? succeeded(session, login, mechanism) : failed(session);
    }

    private boolean submissionUserValid(String login, String password) {
        try {
            return users().checkPassword(login, password);
        } catch (RuntimeException e) {
            // Cassandra away: James's own users can still log in
            LOGGER.warn("submission logins unavailable, trying James's users only: {}", e.getMessage());
            return false;
        }
    }

    private boolean jamesUserValid(String login, String password) {
        try {
            return jamesUsers.test(Username.of(login), password);
        } catch (UsersRepositoryException | IllegalArgumentException e) {
            return false;
        }
    }

    private Response cramMd5(SMTPSession session, CramMd5Exchange exchange, String encoded) {
        Optional<String> decoded = decode(encoded);
        if (decoded.isEmpty()) {
            return BAD_BASE64;
        }
        return exchange.verify(decoded.get()).map(login -> succeeded(session, login, "CRAM-MD5")).orElseGet(() -> failed(session));
    }

    private Response scramFirst(SMTPSession session, ScramSha256Exchange exchange, String encoded) {
        Optional<String> decoded = decode(encoded);
        if (decoded.isEmpty()) {
            return BAD_BASE64;
        }
        ScramSha256Exchange.Step step = exchange.onClientFirst(decoded.get());
        if (!step.ok()) {
            LOGGER.info("SCRAM-SHA-256 refused from {}: {}", clientAddress(session), step.message());
            return failed(session);
        }
        return ask(session, base64(step.message()), line -> scramFinal(session, exchange, line));
    }

    private Response scramFinal(SMTPSession session, ScramSha256Exchange exchange, String encoded) {
        Optional<String> decoded = decode(encoded);
        if (decoded.isEmpty()) {
            return BAD_BASE64;
        }
        ScramSha256Exchange.Step step = exchange.onClientFinal(decoded.get());
        if (!step.ok() || step.login().isEmpty()) {
            return failed(session);
        }
        String login = step.login().get();
        // SMTP has no room for data in 235: the server signature goes in a last 334, answered by an empty line.
        return ask(session, base64(step.message()), line -> line.isEmpty() ? succeeded(session, login, "SCRAM-SHA-256")
            : failed(session));
    }

    /** Sends a 334 challenge and hands the client's next line to {@code next}; "*" cancels. */
    private Response ask(SMTPSession session, String challenge, java.util.function.Function<String, Response> next) {
        session.pushLineHandler(new LineHandler<SMTPSession>() {
            @Override
            public Response onLine(SMTPSession s, byte[] bytes) {
                s.popLineHandler();
                String line = new String(bytes, StandardCharsets.US_ASCII).trim();
                return line.equals("*") ? CANCELLED : next.apply(line);
            }
        });
        return new SMTPResponse("334", challenge);
    }

    private Response succeeded(SMTPSession session, String login, String mechanism) {
        session.setUsername(Username.of(login.toLowerCase(Locale.ROOT)));
        session.setRelayingAllowed(true);
        session.setAttachment(MECHANISM, mechanism, ProtocolSession.State.Connection);
        throttled(throttle -> throttle.recordSuccess(clientAddress(session)));
        LOGGER.info("AUTH {} succeeded for {} from {}", mechanism, login, clientAddress(session));
        return SUCCESS;
    }

    private Response failed(SMTPSession session) {
        throttled(throttle -> throttle.recordFailure(clientAddress(session)));
        LOGGER.info("AUTH failed from {}", clientAddress(session));
        try {
            // the same wait for an unknown user, a wrong password and a malformed exchange
            Thread.sleep(failureDelay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return INVALID;
    }

    private boolean blocked(SMTPSession session) {
        try {
            return throttle().blocked(clientAddress(session));
        } catch (RuntimeException e) {
            LOGGER.warn("AUTH throttle unavailable: {}", e.getMessage());
            return false;
        }
    }

    /** The throttle lives in Cassandra; while Cassandra is away AUTH still answers. */
    private void throttled(java.util.function.Consumer<AuthThrottle> action) {
        try {
            action.accept(throttle());
        } catch (RuntimeException e) {
            LOGGER.warn("AUTH throttle unavailable: {}", e.getMessage());
        }
    }

    private SubmissionUsers users() {
        return runtime.engine().submissionUsers();
    }

    private AuthThrottle throttle() {
        return runtime.engine().authThrottle();
    }

    private static String clientAddress(SMTPSession session) {
        return session.getRemoteAddress().getAddress().getHostAddress();
    }

    private static Optional<String> decode(String encoded) {
        try {
            return Optional.of(new String(Base64.getDecoder().decode(encoded.trim()), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
