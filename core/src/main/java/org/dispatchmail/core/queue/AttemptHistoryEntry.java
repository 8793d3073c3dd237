package org.dispatchmail.core.queue;

import java.time.Instant;
import java.util.Optional;

/** One stored attempt, as read back for the admin: what was tried, what the server said, what was decided. */
public final class AttemptHistoryEntry {
    private final Instant attemptedAt;
    private final String node;
    private final Optional<String> host;
    private final Optional<String> address;
    private final String stage;
    private final Optional<Integer> replyCode;
    private final Optional<String> enhancedCode;
    private final Optional<String> text;
    private final Optional<String> tls;
    private final String decision;
    private final Optional<Instant> nextAttemptAt;

    public AttemptHistoryEntry(Instant attemptedAt, String node, Optional<String> host, Optional<String> address,
                               String stage, Optional<Integer> replyCode, Optional<String> enhancedCode,
                               Optional<String> text, Optional<String> tls, String decision,
                               Optional<Instant> nextAttemptAt) {
        this.attemptedAt = attemptedAt;
        this.node = node;
        this.host = host;
        this.address = address;
        this.stage = stage;
        this.replyCode = replyCode;
        this.enhancedCode = enhancedCode;
        this.text = text;
        this.tls = tls;
        this.decision = decision;
        this.nextAttemptAt = nextAttemptAt;
    }

    public Instant attemptedAt() {
        return attemptedAt;
    }

    public String node() {
        return node;
    }

    public Optional<String> host() {
        return host;
    }

    public Optional<String> address() {
        return address;
    }

    public String stage() {
        return stage;
    }

    public Optional<Integer> replyCode() {
        return replyCode;
    }

    public Optional<String> enhancedCode() {
        return enhancedCode;
    }

    /** The server's reply text, or the DNS/connection error when no reply decided. */
    public Optional<String> text() {
        return text;
    }

    public Optional<String> tls() {
        return tls;
    }

    public String decision() {
        return decision;
    }

    public Optional<Instant> nextAttemptAt() {
        return nextAttemptAt;
    }
}
