package org.dispatchmail.core.dkim;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.dkim.DkimAlgorithm;

/** The dkim.* parameters of dispatch.properties. */
public final class DkimSettings {
    private final Optional<Path> masterKeyFile;
    private final List<DkimAlgorithm> algorithms;
    private final List<String> requiredDomains;
    private final Duration gracePeriod;
    private final Optional<Duration> autoRotateAfter;
    private final Duration checkInterval;
    private final Duration keyCacheTtl;

    private DkimSettings(ConfigReader config) {
        this.masterKeyFile = config.optional("dkim.masterKeyFile").map(Path::of);
        List<DkimAlgorithm> parsed = new ArrayList<>();
        for (String tag : config.list("dkim.algorithms").isEmpty()
            ? List.of("rsa-sha256", "ed25519-sha256") : config.list("dkim.algorithms")) {
            parsed.add(config.parse("dkim.algorithms", tag, DkimAlgorithm::fromTag));
        }
        this.algorithms = List.copyOf(parsed);
        List<String> required = new ArrayList<>();
        for (String domain : config.list("dkim.requiredDomains")) {
            required.add(domain.toLowerCase(Locale.ROOT));
        }
        this.requiredDomains = List.copyOf(required);
        this.gracePeriod = config.duration("dkim.gracePeriod", Duration.ofDays(7));
        this.autoRotateAfter = config.optional("dkim.autoRotateAfter")
            .map(text -> config.duration("dkim.autoRotateAfter", Duration.ZERO));
        if (autoRotateAfter.isPresent() && autoRotateAfter.get().compareTo(Duration.ofDays(1)) < 0) {
            throw config.error("dkim.autoRotateAfter", "must be at least 1d: a new key needs time to be published");
        }
        this.checkInterval = config.duration("dkim.checkInterval", Duration.ofMinutes(1));
        if (checkInterval.isZero()) {
            throw config.error("dkim.checkInterval", "must be more than 0");
        }
        this.keyCacheTtl = config.duration("dkim.keyCacheTtl", Duration.ofSeconds(30));
    }

    public static DkimSettings from(ConfigReader config) {
        return new DkimSettings(config);
    }

    public Optional<Path> masterKeyFile() {
        return masterKeyFile;
    }

    /** The algorithms a new or rotated domain gets keys for. */
    public List<DkimAlgorithm> algorithms() {
        return algorithms;
    }

    /** Whether mail from this domain must not leave unsigned: exact names, or "*.example.com" for subdomains, or "*". */
    public boolean signatureRequired(String domain) {
        for (String pattern : requiredDomains) {
            if (pattern.equals("*") || pattern.equals(domain)
                || (pattern.startsWith("*.") && domain.endsWith(pattern.substring(1)))) {
                return true;
            }
        }
        return false;
    }

    public Duration gracePeriod() {
        return gracePeriod;
    }

    public Optional<Duration> autoRotateAfter() {
        return autoRotateAfter;
    }

    public Duration checkInterval() {
        return checkInterval;
    }

    public Duration keyCacheTtl() {
        return keyCacheTtl;
    }
}
