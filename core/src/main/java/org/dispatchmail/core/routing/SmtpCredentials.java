package org.dispatchmail.core.routing;

import java.util.Objects;

/** A login for a smart host that requires SMTP AUTH. */
public final class SmtpCredentials {
    private final String username;
    private final String password;

    public SmtpCredentials(String username, String password) {
        this.username = Objects.requireNonNull(username, "username");
        this.password = Objects.requireNonNull(password, "password");
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    /** The same login and password: a route with either changed is another destination. */
    @Override
    public boolean equals(Object o) {
        return o instanceof SmtpCredentials && ((SmtpCredentials) o).username.equals(username)
                && ((SmtpCredentials) o).password.equals(password);
    }

    @Override
    public int hashCode() {
        return username.hashCode();
    }

    @Override
    public String toString() {
        // never the password, not even in a debug log
        return username;
    }
}
