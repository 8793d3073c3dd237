package org.dispatchmail.core.dkim;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The signing algorithms Dispatch offers, with their names in the DKIM-Signature (a=) and in DNS (k=). */
public enum DkimAlgorithm {
    RSA_SHA256("rsa-sha256", "rsa"),
    ED25519_SHA256("ed25519-sha256", "ed25519");

    private final String tag;
    private final String keyType;

    DkimAlgorithm(String tag, String keyType) {
        this.tag = tag;
        this.keyType = keyType;
    }

    /** The value of the a= tag. */
    public String tag() {
        return tag;
    }

    /** The value of the k= tag of the DNS key record. */
    public String keyType() {
        return keyType;
    }

    /** The algorithm named by an a= value (case-insensitive), e.g. from configuration. */
    public static DkimAlgorithm fromTag(String tag) {
        if (tag != null) {
            for (DkimAlgorithm algorithm : values()) {
                if (algorithm.tag.equalsIgnoreCase(tag.trim())) {
                    return algorithm;
                }
            }
        }
        throw new IllegalArgumentException("unknown DKIM algorithm '" + tag + "'; accepted: "
                + Arrays.stream(values()).map(DkimAlgorithm::tag).collect(Collectors.joining(", ")));
    }
}
