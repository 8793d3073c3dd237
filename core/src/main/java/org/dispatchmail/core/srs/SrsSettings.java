package org.dispatchmail.core.srs;

import java.time.Duration;
import java.util.Optional;

import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.routing.DomainNames;

/** The srs.* parameters of dispatch.properties. */
public final class SrsSettings {
    /** SRS0 timestamps count days modulo 1024 (two base32 characters), so an age must stay well below that. */
    static final Duration LONGEST_MAX_AGE = Duration.ofDays(365);

    private final Optional<String> domain;
    private final Duration maxAge;

    private SrsSettings(Optional<String> domain, Duration maxAge) {
        this.domain = domain;
        this.maxAge = maxAge;
    }

    public static SrsSettings from(ConfigReader config) {
        Optional<String> domain = config.optional("srs.domain")
            .map(text -> config.parse("srs.domain", text, DomainNames::toAscii));
        Duration maxAge = config.duration("srs.maxAge", Duration.ofDays(21));
        if (maxAge.compareTo(Duration.ofDays(1)) < 0 || maxAge.compareTo(LONGEST_MAX_AGE) > 0) {
            throw config.error("srs.maxAge", "must be between 1d and 365d (SRS timestamps count whole days)");
        }
        return new SrsSettings(domain, maxAge);
    }

    public static SrsSettings of(String domain, Duration maxAge) {
        return new SrsSettings(Optional.of(DomainNames.toAscii(domain)), maxAge);
    }

    public static SrsSettings off() {
        return new SrsSettings(Optional.empty(), Duration.ofDays(21));
    }

    /** The domain of the SRS addresses this cluster makes and takes bounces for; empty when SRS is off. */
    public Optional<String> domain() {
        return domain;
    }

    /** How long an SRS0 address this cluster made takes bounces. */
    public Duration maxAge() {
        return maxAge;
    }
}
