package org.dispatchmail.core.dkim;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import org.dispatchmail.core.submission.ListenerRole;

/**
 * Whether a mail may carry a hosted domain's DKIM signature. A key signs only what its owner sent: mail
 * submitted by a login that was checked against every From: address, Dispatch's own reports, and mail an admin
 * marked signable in mailetcontainer.xml. Everything else, above all mail that came in on port 25 and leaves
 * again (forwards, aliases, lists), is refused, whatever its From: says. The facts are mail attributes that only
 * the server sets, never anything the message or the client can choose.
 */
public final class SigningPolicy {
    /** Set by the submission listener once every From: address passed the login's sender check; value: the login. */
    public static final String AUTHOR_CHECKED_ATTRIBUTE = "dispatch.author.checkedFor";
    /** Set on the reports (DSNs) Dispatch itself sends. */
    public static final String REPORT_ATTRIBUTE = "dispatch.report";
    /** Set by an admin's mailet (e.g. SetMailAttribute behind a matcher) on mail Dispatch may sign. */
    public static final String SIGNABLE_ATTRIBUTE = "dispatch.signable";

    /** Why a signature is allowed. */
    public enum Grant { SUBMITTED_BY_CHECKED_LOGIN, DISPATCH_REPORT, MARKED_BY_ADMIN }

    private SigningPolicy() {
    }

    public static Decision decide(Facts facts) {
        if (facts.report) {
            return Decision.allowed(Grant.DISPATCH_REPORT);
        }
        if (facts.markedByAdmin) {
            return Decision.allowed(Grant.MARKED_BY_ADMIN);
        }
        if (facts.role.isEmpty()) {
            return Decision.refused("it was not received by a Dispatch listener");
        }
        if (!facts.role.get().isSubmission()) {
            return Decision.refused("it came in on the MX port (" + facts.role.get().configName()
                + "); forwarded mail is never signed with a hosted domain's key");
        }
        if (facts.login.isEmpty()) {
            return Decision.refused("it was submitted without authentication");
        }
        if (facts.authorCheckedFor.isEmpty() || !sameLogin(facts.authorCheckedFor.get(), facts.login.get())) {
            return Decision.refused("its From: was not checked against login " + facts.login.get());
        }
        return Decision.allowed(Grant.SUBMITTED_BY_CHECKED_LOGIN);
    }

    private static boolean sameLogin(String a, String b) {
        return a.trim().toLowerCase(Locale.ROOT).equals(b.trim().toLowerCase(Locale.ROOT));
    }

    /** What is known of a mail: where it came in, who logged in, which checks passed. */
    public static final class Facts {
        private final Optional<ListenerRole> role;
        private final Optional<String> login;
        private final Optional<String> authorCheckedFor;
        private final boolean report;
        private final boolean markedByAdmin;

        public Facts(Optional<ListenerRole> role, Optional<String> login, Optional<String> authorCheckedFor,
                     boolean report, boolean markedByAdmin) {
            this.role = Objects.requireNonNull(role);
            this.login = Objects.requireNonNull(login);
            this.authorCheckedFor = Objects.requireNonNull(authorCheckedFor);
            this.report = report;
            this.markedByAdmin = markedByAdmin;
        }
    }

    /** A grant, or the reason there is none (for the log line). */
    public static final class Decision {
        private final Optional<Grant> grant;
        private final String reason;

        private Decision(Optional<Grant> grant, String reason) {
            this.grant = grant;
            this.reason = reason;
        }

        static Decision allowed(Grant grant) {
            return new Decision(Optional.of(grant), grant.name().toLowerCase(Locale.ROOT).replace('_', ' '));
        }

        static Decision refused(String reason) {
            return new Decision(Optional.empty(), reason);
        }

        public boolean allowed() {
            return grant.isPresent();
        }

        public Optional<Grant> grant() {
            return grant;
        }

        public String reason() {
            return reason;
        }
    }
}
