package org.dispatchmail.core.intake;

import java.util.Objects;

/** Where a journal entry is: its writer (a node's id) and the James mail name it was journaled under. */
public final class IntakeKey {
    private final String writer;
    private final String mailName;

    public IntakeKey(String writer, String mailName) {
        this.writer = Objects.requireNonNull(writer);
        this.mailName = Objects.requireNonNull(mailName);
    }

    public String writer() {
        return writer;
    }

    public String mailName() {
        return mailName;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof IntakeKey && ((IntakeKey) other).writer.equals(writer)
            && ((IntakeKey) other).mailName.equals(mailName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(writer, mailName);
    }

    @Override
    public String toString() {
        return writer + "/" + mailName;
    }
}
