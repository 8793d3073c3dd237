package org.dispatchmail.core.dkim;

import java.util.Optional;

import org.dispatchmail.core.config.ConfigReader;

/** arc.* of dispatch.properties: which domain seals forwarded mail (RFC 8617); none means no ARC. */
public final class ArcSettings {
    private final Optional<String> domain;

    private ArcSettings(ConfigReader config) {
        this.domain = config.optional("arc.domain").map(value -> config.parse("arc.domain", value, DkimKeys::normalizeDomain));
    }

    public static ArcSettings from(ConfigReader config) {
        return new ArcSettings(config);
    }

    /** The domain whose DKIM keys seal forwarded mail; empty when ARC sealing is off (the default). */
    public Optional<String> domain() {
        return domain;
    }
}
