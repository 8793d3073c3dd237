package org.dispatchmail.smtp;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MailAddress;
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
import org.dispatchmail.core.submission.AuthChecks;
import org.dispatchmail.core.submission.AuthMechanisms;
import org.dispatchmail.core.submission.AuthOutcome;
import org.dispatchmail.core.submission.CramMd5Exchange;
import org.dispatchmail.core.submission.ScramSha256Exchange;
import org.dispatchmail.core.submission.SubmissionUsers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AUTH for the submission listeners, offered only inside TLS, with the mechanisms of {@code submission.mechanisms}:
 * PLAIN and LOGIN (submission users in Cassandra, then James's own users), CRAM-MD5 and SCRAM-SHA-256 (submission
 * users). Credentials are checked by core's {@link AuthChecks}, off the SMTP threads, and the reply is written when
 * the check is done ({@link DeferredReply}): a failure answers 535 5.7.8 after the same delay whatever went wrong,
 * and no SMTP thread waits meanwhile. Throttled, busy or unable to count failures: 454 4.7.0. Placed before James's
 * core handlers, it answers every AUTH command, so James's own AUTH handler never runs (its announce is "never").
 */
public class SubmissionAuth implements CommandHandler<SMTPSession>, EhloExtension {
    private static final Logger LOGGER = LoggerFactory.getLogger(SubmissionAuth.class);
    static final ProtocolSession.AttachmentKey<String> MECHANISM =
        ProtocolSession.AttachmentKey.of("dispatch.auth.mechanism", String.class);

    private static final Response ENCRYPTION_REQUIRED =
        new SMTPResponse("538", "5.7.11 Encryption required for requested authentication mechanism").immutable();
    private static final Response ALREADY = new SMTPResponse("503", "5.5.1 Already authenticated").immutable();
    private static final Response SYNTAX = new SMTPResponse("501", "5.5.4 Syntax: AUTH mechanism [initial-response]").immutable();
    private static final Response CANCELLED = new SMTPResponse("501", "5.7.0 Authentication cancelled").immutable();
    private static final Response BAD_BASE64 = new SMTPResponse("501", "5.5.2 Cannot decode the response: it is not base64").immutable();
    private static final Response INVALID = new SMTPResponse("535", "5.7.8 Authentication credentials invalid").immutable();
    private static final Response THROTTLED = new SMTPResponse("454", "4.7.0 Too many failed authentications from your"
        + " address or for this login; try again later").immutable();
    private static final Response BUSY = new SMTPResponse("454", "4.7.0 Too many authentications in progress from your"
        + " address; try again later").immutable();
    private static final Response UNAVAILABLE = new SMTPResponse("454", "4.7.0 Authentication temporarily unavailable;"
        + " try again later").immutable();
    private static final Response SUCCESS = new SMTPResponse("235", "2.7.0 Authentication successful").immutable();

    private final AuthChecks authChecks;
    private final SubmissionUsers users;
    private final AuthMechanisms mechanisms;
    private final UsersRepository jamesUsers;
    private Duration failureDelay = Duration.ofSeconds(1);

    @Inject
    public SubmissionAuth(AuthChecks authChecks, SubmissionUsers users, AuthMechanisms mechanisms,
                          UsersRepository jamesUsers) {
        this.authChecks = authChecks;
        this.users = users;
        this.mechanisms = mechanisms;
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
        return session.isTLSStarted() && session.getUsername() == null ? List.of("AUTH " + mechanisms.announced())
            : List.of();
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
        int space = argument.indexOf(' ');
        String requested = space < 0 ? argument : argument.substring(0, space);
        Optional<String> initial = space < 0 ? Optional.empty() : Optional.of(argument.substring(space + 1).trim());
        Optional<String> mechanism = mechanisms.offered(requested);
        if (mechanism.isEmpty()) {
            return new SMTPResponse("504", "5.5.4 Unrecognized authentication mechanism; this server offers "
                + mechanisms.announced());
        }
        switch (mechanism.get()) {
            case AuthMechanisms.PLAIN:
                return initial.isPresent() ? plain(session, initial.get()) : ask(session, "", line -> plain(session, line));
            case AuthMechanisms.LOGIN:
                return initial.isPresent() ? loginUser(session, initial.get())
                    : ask(session, base64("Username:"), line -> loginUser(session, line));
            case AuthMechanisms.CRAM_MD5: {
                CramMd5Exchange exchange = users.startCramMd5(session.getConfiguration().getHelloName());
                return ask(session, base64(exchange.challenge()), line -> cramMd5(session, exchange, line));
            }
            default: {
                ScramSha256Exchange exchange = users.startScramSha256();
                return initial.isPresent() ? scramFirst(session, exchange, initial.get())
                    : ask(session, "", line -> scramFirst(session, exchange, line));
            }
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
            return check(session, Optional.empty(), Optional::empty, AuthMechanisms.PLAIN);
        }
        return check(session, Optional.of(parts[1]), () -> passwordLogin(parts[1], parts[2]), AuthMechanisms.PLAIN);
    }

    private Response loginUser(SMTPSession session, String encodedUser) {
        Optional<String> user = decode(encodedUser);
        if (user.isEmpty()) {
            return BAD_BASE64;
        }
        return ask(session, base64("Password:"), line -> {
            Optional<String> password = decode(line);
            return password.isEmpty() ? BAD_BASE64 : check(session, user, () -> passwordLogin(user.get(), password.get()),
                AuthMechanisms.LOGIN);
        });
    }

    /** Runs on the hashing pool: submission users first, then James's own; the login as stored. */
    private Optional<String> passwordLogin(String login, String password) {
        Optional<String> submission;
        try {
            submission = users.authenticate(login, password);
        } catch (RuntimeException e) {
            // Cassandra away: James's own users can still log in (if the failure counts could be reserved)
            LOGGER.warn("submission logins unavailable, trying James's users only: {}", e.getMessage());
            submission = Optional.empty();
        }
        return submission.isPresent() ? submission : jamesUser(login, password);
    }

    private Optional<String> jamesUser(String login, String password) {
        try {
            Username username = login.contains("@") ? jamesUsers.getUsername(new MailAddress(login)) : Username.of(login);
            return jamesUsers.test(username, password) ? Optional.of(username.asString().toLowerCase(Locale.ROOT))
                : Optional.empty();
        } catch (UsersRepositoryException | javax.mail.internet.AddressException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private Response cramMd5(SMTPSession session, CramMd5Exchange exchange, String encoded) {
        Optional<String> decoded = decode(encoded);
        if (decoded.isEmpty()) {
            return BAD_BASE64;
        }
        return check(session, CramMd5Exchange.claimedLogin(decoded.get()), () -> exchange.verify(decoded.get()),
            AuthMechanisms.CRAM_MD5);
    }

    private Response scramFirst(SMTPSession session, ScramSha256Exchange exchange, String encoded) {
        Optional<String> decoded = decode(encoded);
        if (decoded.isEmpty()) {
            return BAD_BASE64;
        }
        ScramSha256Exchange.Step step = exchange.onClientFirst(decoded.get());
        if (!step.ok()) {
            LOGGER.info("SCRAM-SHA-256 refused from {}: {}", clientAddress(session), step.message());
            return check(session, exchange.claimedLogin(), Optional::empty, AuthMechanisms.SCRAM_SHA_256);
        }
        return ask(session, base64(step.message()), line -> scramFinal(session, exchange, line));
    }

    private Response scramFinal(SMTPSession session, ScramSha256Exchange exchange, String encoded) {
        Optional<String> decoded = decode(encoded);
        if (decoded.isEmpty()) {
            return BAD_BASE64;
        }
        AtomicReference<ScramSha256Exchange.Step> last = new AtomicReference<>();
        Supplier<Optional<String>> proof = () -> {
            ScramSha256Exchange.Step step = exchange.onClientFinal(decoded.get());
            last.set(step);
            return step.ok() ? step.login() : Optional.empty();
        };
        // SMTP has no room for data in 235: the server signature goes in a last 334, answered by an empty line.
        return check(session, exchange.claimedLogin(), proof, AuthMechanisms.SCRAM_SHA_256, login ->
            ask(session, base64(last.get().message()), line -> line.isEmpty() ? succeeded(session, login,
                AuthMechanisms.SCRAM_SHA_256) : INVALID));
    }

    private Response check(SMTPSession session, Optional<String> claimedLogin, Supplier<Optional<String>> credentials,
                           String mechanism) {
        return check(session, claimedLogin, credentials, mechanism, login -> succeeded(session, login, mechanism));
    }

    /**
     * Hands the credentials to core's checks and answers when they are done; {@code onSuccess} makes the reply
     * for the login as stored. Returns at once: the reply is written later, in order.
     */
    private Response check(SMTPSession session, Optional<String> claimedLogin, Supplier<Optional<String>> credentials,
                           String mechanism, Function<String, Response> onSuccess) {
        String client = clientAddress(session);
        DeferredReply reply = DeferredReply.hold(session);
        try {
            authChecks.check(client, claimedLogin, credentials, failureDelay)
                .whenComplete((outcome, error) -> reply.answer(() -> {
                    if (error != null) {
                        LOGGER.error("AUTH {} from {} broke", mechanism, client, error);
                        return UNAVAILABLE;
                    }
                    return respond(outcome, client, mechanism, onSuccess);
                }));
        } catch (RuntimeException e) {
            // the session is held: it must get an answer whatever happened
            LOGGER.error("AUTH {} from {} could not be checked", mechanism, client, e);
            reply.answer(() -> UNAVAILABLE);
        }
        return DeferredReply.LATER;
    }

    private static Response respond(AuthOutcome outcome, String client, String mechanism,
                                    Function<String, Response> onSuccess) {
        switch (outcome.kind()) {
            case AUTHENTICATED:
                return onSuccess.apply(outcome.login().orElseThrow());
            case THROTTLED:
                LOGGER.info("AUTH {} from {} throttled: {}", mechanism, client, outcome.reason());
                return THROTTLED;
            case BUSY:
                LOGGER.info("AUTH {} from {} refused: {}", mechanism, client, outcome.reason());
                return BUSY;
            case UNAVAILABLE:
                LOGGER.warn("AUTH {} from {} refused: {}", mechanism, client, outcome.reason());
                return UNAVAILABLE;
            default:
                LOGGER.info("AUTH {} failed from {}", mechanism, client);
                return INVALID;
        }
    }

    /** Sends a 334 challenge and hands the client's next line to {@code next}; "*" cancels. */
    private Response ask(SMTPSession session, String challenge, Function<String, Response> next) {
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

    /** The session's identity from here on is the login as stored, not as the client spelled it. */
    private Response succeeded(SMTPSession session, String storedLogin, String mechanism) {
        session.setUsername(Username.of(storedLogin));
        session.setRelayingAllowed(true);
        session.setAttachment(MECHANISM, mechanism, ProtocolSession.State.Connection);
        LOGGER.info("AUTH {} succeeded for {} from {}", mechanism, storedLogin, clientAddress(session));
        return SUCCESS;
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
