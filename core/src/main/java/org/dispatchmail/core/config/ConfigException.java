package org.dispatchmail.core.config;

/** A configuration value is missing or invalid; the message names the file and the parameter. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
