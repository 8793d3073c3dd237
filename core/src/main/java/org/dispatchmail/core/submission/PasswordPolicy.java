package org.dispatchmail.core.submission;

/** What a new password must be. Error messages describe the password, never quote it. */
final class PasswordPolicy {
    static final int MIN_CHARACTERS = 12;
    /** Far above any real password; stops a pasted file from becoming a password. */
    static final int MAX_CHARACTERS = 1024;

    private PasswordPolicy() {
    }

    static void check(String password) {
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("a password is required");
        }
        for (int i = 0; i < password.length(); i++) {
            char c = password.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < password.length()
                && Character.isLowSurrogate(password.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("the password is not valid Unicode (a lone surrogate)");
            } else if (Character.isISOControl(c)) {
                // NUL would cut a PLAIN response, CR and LF an SMTP line: no client could send it.
                throw new IllegalArgumentException("the password contains a control character");
            }
        }
        int characters = password.codePointCount(0, password.length());
        if (characters < MIN_CHARACTERS) {
            throw new IllegalArgumentException("the password is too weak: it has " + characters
                + " characters, at least " + MIN_CHARACTERS + " are required");
        }
        if (characters > MAX_CHARACTERS) {
            throw new IllegalArgumentException("the password is longer than " + MAX_CHARACTERS + " characters");
        }
    }
}
