package org.dispatchmail.core.srs;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.dispatchmail.core.secrets.ClusterSecrets;
import org.dispatchmail.core.secrets.Secret;

/**
 * The Sender Rewriting Scheme: forwarded mail leaves with an envelope sender in srs.domain, so the receiver's SPF
 * check is made against this cluster, and a bounce to that address finds its way back to the original sender.
 *
 * <pre>
 * first forward     SRS0=HHHHHH=TT=orig-domain=orig-local@srs.domain
 * forward of SRS0   SRS1=HHHHHH=first-forwarder-domain==HHHHHH=TT=orig-domain=orig-local@srs.domain
 * </pre>
 *
 * HHHHHH is the start of the base64 HMAC-SHA256, keyed with the cluster secret "srs", of the fields that follow
 * it in lower case (some MTAs fold local parts to lower case, so the hash is compared without case as well). TT is
 * the day number modulo 1024 in two base32 characters: an SRS0 address takes bounces for srs.maxAge. An SRS1
 * address carries no timestamp of its own (the first forwarder checks its own); its hash covers the first
 * forwarder's domain and that forwarder's part, kept as it was. New addresses are signed with the newest key;
 * addresses are checked against every kept key, so a rotation leaves addresses already sent valid until the old
 * key is retired.
 */
public final class SenderRewriting {
    public static final String SECRET_NAME = "srs";
    static final int HASH_LENGTH = 6;
    private static final String BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static final int STAMP_CYCLE = 1024;
    private static final long SECONDS_PER_DAY = 86_400;
    /** A node whose clock is a little ahead may stamp tomorrow's day number just after midnight. */
    private static final int TOLERATED_FUTURE_DAYS = 1;

    private final SrsSettings settings;
    private final ClusterSecrets secrets;
    private final Clock clock;

    public SenderRewriting(SrsSettings settings, ClusterSecrets secrets, Clock clock) {
        this.settings = settings;
        this.secrets = secrets;
        this.clock = clock;
    }

    public boolean enabled() {
        return settings.domain().isPresent();
    }

    public Optional<String> domain() {
        return settings.domain();
    }

    /** The envelope sender for mail forwarded from {@code sender} ("" for the null sender). */
    public ForwardedSender forward(String sender) {
        if (sender == null || sender.isEmpty()) {
            return ForwardedSender.unchanged(ForwardedSender.Kind.NULL_SENDER);
        }
        if (!enabled()) {
            return ForwardedSender.unchanged(ForwardedSender.Kind.SRS_OFF);
        }
        String srsDomain = settings.domain().get();
        int at = sender.lastIndexOf('@');
        if (at <= 0 || at == sender.length() - 1 || sender.startsWith("\"")) {
            return ForwardedSender.unchanged(ForwardedSender.Kind.UNSUPPORTED);
        }
        String local = sender.substring(0, at);
        String domain = sender.substring(at + 1);
        if (domain.equalsIgnoreCase(srsDomain)) {
            return ForwardedSender.unchanged(ForwardedSender.Kind.ALREADY_OURS);
        }
        Secret key = secrets.current(SECRET_NAME);
        Optional<Srs1Parts> srs1 = tag(local, "SRS1").flatMap(SenderRewriting::srs1Parts);
        if (srs1.isPresent()) {
            // Another forwarder's SRS1: keep the first forwarder and its part, vouch for them with our hash.
            return ForwardedSender.rewritten(srs1Address(key, srs1.get().firstHost, srs1.get().opaque, srsDomain));
        }
        if (tag(local, "SRS0").isPresent()) {
            // Another forwarder's SRS0: bounces go back to that forwarder, which checks its own hash.
            return ForwardedSender.rewritten(srs1Address(key, domain, local.substring(4), srsDomain));
        }
        String stamp = stamp(today());
        return ForwardedSender.rewritten("SRS0=" + hash(key, "SRS0", stamp, domain, local) + "=" + stamp + "="
            + domain + "=" + local + "@" + srsDomain);
    }

    /** Checks a recipient as an SRS address of this cluster; only a VALID one may ever be sent on. */
    public SrsCheck reverse(String recipient) {
        if (!enabled() || recipient == null) {
            return SrsCheck.notSrs();
        }
        int at = recipient.lastIndexOf('@');
        if (at <= 0 || !recipient.substring(at + 1).equalsIgnoreCase(settings.domain().get())) {
            return SrsCheck.notSrs();
        }
        String local = recipient.substring(0, at);
        Optional<String> srs0 = tag(local, "SRS0");
        if (srs0.isPresent()) {
            return reverseSrs0(srs0.get());
        }
        Optional<String> srs1 = tag(local, "SRS1");
        if (srs1.isPresent()) {
            return reverseSrs1(srs1.get());
        }
        return SrsCheck.notSrs();
    }

    private SrsCheck reverseSrs0(String body) {
        String[] fields = body.split("=", 4);
        if (fields.length < 4 || fields[0].isEmpty() || fields[2].isEmpty() || fields[3].isEmpty()) {
            return SrsCheck.malformed("an SRS0 address is SRS0=hash=timestamp=domain=local-part");
        }
        String hash = fields[0];
        String stamp = fields[1].toUpperCase(Locale.ROOT);
        if (stamp.length() != 2 || BASE32.indexOf(stamp.charAt(0)) < 0 || BASE32.indexOf(stamp.charAt(1)) < 0) {
            return SrsCheck.malformed("its timestamp '" + fields[1] + "' is not two base32 characters");
        }
        if (!hashMatches(hash, "SRS0", stamp, fields[2], fields[3])) {
            return SrsCheck.forged();
        }
        long age = Math.floorMod(today() - (BASE32.indexOf(stamp.charAt(0)) * 32L + BASE32.indexOf(stamp.charAt(1))),
            STAMP_CYCLE);
        if (age > STAMP_CYCLE - 1 - TOLERATED_FUTURE_DAYS) {
            age -= STAMP_CYCLE;
        }
        if (age > settings.maxAge().toDays()) {
            return SrsCheck.expired(age);
        }
        return SrsCheck.valid(fields[3] + "@" + fields[2]);
    }

    private SrsCheck reverseSrs1(String body) {
        Optional<Srs1Parts> parts = srs1Parts(body);
        if (parts.isEmpty()) {
            return SrsCheck.malformed("an SRS1 address is SRS1=hash=first-forwarder-domain==its-SRS0-part");
        }
        if (!hashMatches(parts.get().hash, "SRS1", parts.get().firstHost, parts.get().opaque)) {
            return SrsCheck.forged();
        }
        return SrsCheck.valid("SRS0" + parts.get().opaque + "@" + parts.get().firstHost);
    }

    /** The local part after "SRS0=" (or SRS1, any case, with =, + or - after it, as SRS allows). */
    private static Optional<String> tag(String local, String tag) {
        if (local.length() > tag.length() && local.regionMatches(true, 0, tag, 0, tag.length())
            && "=+-".indexOf(local.charAt(tag.length())) >= 0) {
            return Optional.of(local.substring(tag.length() + 1));
        }
        return Optional.empty();
    }

    private static Optional<Srs1Parts> srs1Parts(String body) {
        String[] fields = body.split("=", 3);
        if (fields.length < 3 || fields[0].isEmpty() || fields[1].isEmpty() || fields[2].isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Srs1Parts(fields[0], fields[1], fields[2]));
    }

    private String srs1Address(Secret key, String firstHost, String opaque, String srsDomain) {
        return "SRS1=" + hash(key, "SRS1", firstHost, opaque) + "=" + firstHost + "=" + opaque + "@" + srsDomain;
    }

    private boolean hashMatches(String given, String... fields) {
        if (given.length() != HASH_LENGTH) {
            return false;
        }
        byte[] folded = given.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        List<Secret> keys = secrets.all(SECRET_NAME);
        boolean matched = false;
        for (Secret key : keys) {
            byte[] expected = hash(key, fields).toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
            matched |= MessageDigest.isEqual(folded, expected);
        }
        return matched;
    }

    private static String hash(Secret key, String... fields) {
        String input = String.join("|", fields).toLowerCase(Locale.ROOT);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.key(), "HmacSHA256"));
            byte[] digest = mac.doFinal(input.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(digest).substring(0, HASH_LENGTH);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this Java runtime", e);
        }
    }

    private long today() {
        return Math.floorDiv(clock.instant().getEpochSecond(), SECONDS_PER_DAY);
    }

    private static String stamp(long day) {
        int cycle = (int) Math.floorMod(day, STAMP_CYCLE);
        return "" + BASE32.charAt(cycle >> 5) + BASE32.charAt(cycle & 31);
    }

    private static final class Srs1Parts {
        final String hash;
        final String firstHost;
        final String opaque;

        Srs1Parts(String hash, String firstHost, String opaque) {
            this.hash = hash;
            this.firstHost = firstHost;
            this.opaque = opaque;
        }
    }
}
