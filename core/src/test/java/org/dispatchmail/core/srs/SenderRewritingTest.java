package org.dispatchmail.core.srs;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.secrets.InMemoryClusterSecrets;
import org.junit.jupiter.api.Test;

class SenderRewritingTest {
    private static final String SRS_DOMAIN = "fwd.example.net";

    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-07T10:00:00Z"));
    private final InMemoryClusterSecrets secrets = new InMemoryClusterSecrets(clock, new SecureRandom());
    private final SenderRewriting srs = new SenderRewriting(SrsSettings.of(SRS_DOMAIN, Duration.ofDays(21)), secrets,
        clock);

    private String forward(String sender) {
        ForwardedSender result = srs.forward(sender);
        assertThat(result.kind()).as("forward of %s", sender).isEqualTo(ForwardedSender.Kind.REWRITTEN);
        return result.address().orElseThrow();
    }

    @Test
    void aFirstForwardMakesAnSrs0AddressThatReversesToTheSender() {
        String address = forward("alice@origin.test");

        assertThat(address).matches("SRS0=[A-Za-z0-9+/]{6}=[A-Z2-7]{2}=origin\\.test=alice@fwd\\.example\\.net");
        assertThat(srs.reverse(address)).isEqualTo(SrsCheck.valid("alice@origin.test"));
    }

    @Test
    void theTimestampIsTheDayNumberModulo1024InBase32() {
        long day = Instant.parse("2026-12-07T10:00:00Z").getEpochSecond() / 86_400 % 1024;
        String expected = "" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".charAt((int) day / 32)
            + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".charAt((int) day % 32);

        assertThat(forward("alice@origin.test").split("=")[2]).isEqualTo(expected);
    }

    @Test
    void anotherForwardersSrs0BecomesSrs1AndReversesToThatForwardersAddress() {
        String theirs = "SRS0=abcd=XY=origin.test=alice@first.test";

        String ours = forward(theirs);

        assertThat(ours).matches("SRS1=[A-Za-z0-9+/]{6}=first\\.test==abcd=XY=origin\\.test=alice@fwd\\.example\\.net");
        assertThat(srs.reverse(ours)).isEqualTo(SrsCheck.valid(theirs));
    }

    @Test
    void anotherForwardersSrs1KeepsTheFirstForwarderAndGetsOurHash() {
        String theirs = "SRS1=zzzz=first.test==abcd=XY=origin.test=alice@second.test";

        String ours = forward(theirs);

        assertThat(ours).matches("SRS1=[A-Za-z0-9+/]{6}=first\\.test==abcd=XY=origin\\.test=alice@fwd\\.example\\.net");
        assertThat(srs.reverse(ours)).isEqualTo(SrsCheck.valid("SRS0=abcd=XY=origin.test=alice@first.test"));
    }

    @Test
    void aChangedHashOrAChangedFieldIsForged() {
        String address = forward("alice@origin.test");
        String[] fields = address.split("=", 3);
        // hashes compare without regard to case (a relay may lower-case the local part): change the letter, not its case
        char first = Character.toUpperCase(fields[1].charAt(0));
        String otherHash = (first == 'A' ? "B" : "A") + fields[1].substring(1);

        assertThat(srs.reverse("SRS0=" + otherHash + "=" + fields[2]).kind()).isEqualTo(SrsCheck.Kind.FORGED);
        assertThat(srs.reverse(address.replace("=alice@", "=mallory@")).kind()).isEqualTo(SrsCheck.Kind.FORGED);
        assertThat(srs.reverse(address.replace("=origin.test=", "=victim.test=")).kind())
            .isEqualTo(SrsCheck.Kind.FORGED);
        assertThat(srs.reverse("SRS0=abc=" + fields[2]).kind()).as("short hash").isEqualTo(SrsCheck.Kind.FORGED);
        assertThat(srs.reverse("SRS1=abcdef=first.test==abcd=XY=origin.test=alice@" + SRS_DOMAIN).kind())
            .isEqualTo(SrsCheck.Kind.FORGED);
    }

    @Test
    void anAddressOlderThanMaxAgeIsExpiredAndOneOfMaxAgeStillValid() {
        String address = forward("alice@origin.test");

        clock.advance(Duration.ofDays(21));
        assertThat(srs.reverse(address).isValid()).isTrue();
        clock.advance(Duration.ofDays(1));
        SrsCheck stale = srs.reverse(address);
        assertThat(stale.kind()).isEqualTo(SrsCheck.Kind.EXPIRED);
        assertThat(stale.reason()).isEqualTo("it was made 22 days ago");
    }

    @Test
    void aTimestampOfTomorrowIsToleratedAndOneFurtherAheadIsNot() {
        clock.advance(Duration.ofDays(1));
        String tomorrow = forward("alice@origin.test");
        clock.advance(Duration.ofDays(1));
        String later = forward("alice@origin.test");
        clock.advance(Duration.ofDays(-2));

        assertThat(srs.reverse(tomorrow).isValid()).isTrue();
        assertThat(srs.reverse(later).kind()).isEqualTo(SrsCheck.Kind.EXPIRED);
    }

    @Test
    void anAddressMadeBeforeARotationStaysValidUntilItsKeyIsRetired() {
        String before = forward("alice@origin.test");
        secrets.rotate(SenderRewriting.SECRET_NAME);
        String after = forward("alice@origin.test");

        assertThat(after).isNotEqualTo(before);
        assertThat(srs.reverse(before).isValid()).isTrue();
        assertThat(srs.reverse(after).isValid()).isTrue();

        secrets.retire(SenderRewriting.SECRET_NAME, 1);
        assertThat(srs.reverse(before).kind()).isEqualTo(SrsCheck.Kind.FORGED);
        assertThat(srs.reverse(after).isValid()).isTrue();
    }

    @Test
    void anAddressFoldedToLowerOrUpperCaseStillChecks() {
        String address = forward("Alice@Origin.test");

        assertThat(srs.reverse(address.toLowerCase(Locale.ROOT))).isEqualTo(SrsCheck.valid("alice@origin.test"));
        assertThat(srs.reverse(address.toUpperCase(Locale.ROOT)).isValid()).isTrue();
        String srs1 = forward("SRS0=abcd=XY=origin.test=alice@first.test");
        assertThat(srs.reverse(srs1.toLowerCase(Locale.ROOT)).isValid()).isTrue();
    }

    @Test
    void sendersWithEqualsOrPlusSignsRoundTrip() {
        for (String sender : new String[] {"bounce=list+tag@origin.test", "a=b=c@origin.test", "x+y@origin.test",
            "=@origin.test"}) {
            assertThat(srs.reverse(forward(sender))).as(sender).isEqualTo(SrsCheck.valid(sender));
        }
    }

    @Test
    void theNullSenderAndAddressesOfTheSrsDomainAreNotRewritten() {
        assertThat(srs.forward("").kind()).isEqualTo(ForwardedSender.Kind.NULL_SENDER);
        assertThat(srs.forward(null).kind()).isEqualTo(ForwardedSender.Kind.NULL_SENDER);
        String ours = forward("alice@origin.test");
        assertThat(srs.forward(ours).kind()).isEqualTo(ForwardedSender.Kind.ALREADY_OURS);
        assertThat(srs.forward("someone@FWD.example.net").kind()).isEqualTo(ForwardedSender.Kind.ALREADY_OURS);
        assertThat(srs.forward("\"john doe\"@origin.test").kind()).isEqualTo(ForwardedSender.Kind.UNSUPPORTED);
        assertThat(srs.forward("nodomain").kind()).isEqualTo(ForwardedSender.Kind.UNSUPPORTED);
    }

    @Test
    void malformedSrsAddressesAreToldApartFromOtherAddresses() {
        assertThat(srs.reverse("SRS0=abcdef=origin.test@" + SRS_DOMAIN).kind()).isEqualTo(SrsCheck.Kind.MALFORMED);
        assertThat(srs.reverse("SRS0=abcdef=A=origin.test=alice@" + SRS_DOMAIN).kind())
            .isEqualTo(SrsCheck.Kind.MALFORMED);
        assertThat(srs.reverse("SRS0=abcdef=A1=origin.test=alice@" + SRS_DOMAIN).kind())
            .isEqualTo(SrsCheck.Kind.MALFORMED);
        assertThat(srs.reverse("srs1=abcdef=first.test@" + SRS_DOMAIN).kind()).isEqualTo(SrsCheck.Kind.MALFORMED);

        assertThat(srs.reverse("alice@" + SRS_DOMAIN).kind()).isEqualTo(SrsCheck.Kind.NOT_SRS);
        assertThat(srs.reverse("srs0fan@" + SRS_DOMAIN).kind()).isEqualTo(SrsCheck.Kind.NOT_SRS);
        assertThat(srs.reverse(forward("alice@origin.test").replace(SRS_DOMAIN, "elsewhere.test")).kind())
            .isEqualTo(SrsCheck.Kind.NOT_SRS);
    }

    @Test
    void withoutAnSrsDomainNothingIsRewrittenOrReversed() {
        SenderRewriting off = new SenderRewriting(SrsSettings.off(), secrets, clock);

        assertThat(off.enabled()).isFalse();
        assertThat(off.forward("alice@origin.test").kind()).isEqualTo(ForwardedSender.Kind.SRS_OFF);
        assertThat(off.reverse(forward("alice@origin.test")).kind()).isEqualTo(SrsCheck.Kind.NOT_SRS);
    }

    @Test
    void twoNodesSharingTheSecretsAgree() {
        SenderRewriting otherNode = new SenderRewriting(SrsSettings.of(SRS_DOMAIN, Duration.ofDays(21)), secrets,
            clock);

        assertThat(otherNode.reverse(forward("alice@origin.test")).isValid()).isTrue();
    }
}
