package org.dispatchmail.core.dkim;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.dispatchmail.core.dkim.DkimAlgorithm;
import org.dispatchmail.core.dkim.DkimKeyGenerator;
import org.dispatchmail.core.dkim.DkimPrivateKey;
import org.dispatchmail.core.dkim.DnsRecord;
import org.dispatchmail.core.dkim.SigningKey;
import org.dispatchmail.core.routing.DomainNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of DKIM keys: made PENDING, ACTIVE once their TXT record is visible in DNS (which retires
 * the key they replace), RETIRED keys deleted after the grace period. Signing uses ACTIVE keys only.
 */
public final class DkimKeys {
    private static final Logger LOGGER = LoggerFactory.getLogger(DkimKeys.class);
    private static final Pattern SELECTOR = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    private static final Pattern DOMAIN = Pattern.compile("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9-]{2,63}");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

    private final DomainKeyStore store;
    private final MasterKey masterKey;
    private final TxtLookup dns;
    private final DkimSettings settings;
    private final Clock clock;
    private final Map<String, CachedKeys> cache = new ConcurrentHashMap<>();

    public DkimKeys(DomainKeyStore store, MasterKey masterKey, TxtLookup dns, DkimSettings settings, Clock clock) {
        this.store = store;
        this.masterKey = masterKey;
        this.dns = dns;
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * A domain as keys are filed under it: the A-label form of {@link DomainNames#toAscii}, and then a host name
     * of two labels or more, letters, digits and hyphens only (a name that can publish a key record).
     */
    public static String normalizeDomain(String domain) {
        String ascii;
        try {
            ascii = DomainNames.toAscii(domain);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + domain + "' is not a domain name");
        }
        if (!DOMAIN.matcher(ascii).matches()) {
            throw new IllegalArgumentException("'" + domain + "' is not a domain name");
        }
        return ascii;
    }

    /** Makes new PENDING keys for the domain, one per algorithm (the configured ones when none is given). */
    public List<DomainKey> generate(String domain, List<DkimAlgorithm> algorithms, Optional<String> selector) {
        String name = normalizeDomain(domain);
        List<DkimAlgorithm> wanted = algorithms.isEmpty() ? settings.algorithms() : algorithms;
        if (selector.isPresent() && wanted.size() > 1) {
            throw new IllegalArgumentException("one selector names one key: give an algorithm with the selector");
        }
        List<DomainKey> made = new ArrayList<>();
        for (DkimAlgorithm algorithm : wanted) {
            made.add(create(name, algorithm, selector));
        }
        return made;
    }

    private DomainKey create(String domain, DkimAlgorithm algorithm, Optional<String> wantedSelector) {
        Instant now = clock.instant();
        DkimKeyGenerator.GeneratedKey generated = DkimKeyGenerator.generate(algorithm);
        String selector = wantedSelector.map(s -> s.toLowerCase(Locale.ROOT)).orElseGet(() -> freeSelector(domain, algorithm, now));
        if (!SELECTOR.matcher(selector).matches()) {
            throw new IllegalArgumentException("'" + selector + "' is not a valid selector (letters, digits, '-', '.')");
        }
        DomainKey key = new DomainKey(domain, selector, algorithm, KeyState.PENDING, now, Optional.empty(),
            Optional.empty(), Optional.empty(), DnsRecord.txtValue(generated.privateKey()),
            masterKey.encrypt(generated.pkcs8(), DomainKey.associatedData(domain, selector)));
        if (!store.insert(key)) {
            throw new IllegalArgumentException("domain " + domain + " already has a key with selector " + selector);
        }
        LOGGER.info("DKIM key {} ({}) made; publish TXT {} and it starts signing once DNS shows it",
            key.dnsName(), algorithm.tag(), key.dnsName());
        return key;
    }

    /** d20261129-rsa, d20261129-ed, with -2, -3 ... when the day already has one. */
    private String freeSelector(String domain, DkimAlgorithm algorithm, Instant now) {
        String base = "d" + DAY.format(now) + "-" + (algorithm == DkimAlgorithm.RSA_SHA256 ? "rsa" : "ed");
        List<String> taken = store.keys(domain).stream().map(DomainKey::selector).collect(Collectors.toList());
        String candidate = base;
        for (int n = 2; taken.contains(candidate); n++) {
            candidate = base + "-" + n;
        }
        return candidate;
    }

    public List<DomainKey> list(Optional<String> domain) {
        List<DomainKey> keys = domain.isPresent() ? store.keys(normalizeDomain(domain.get())) : store.allKeys();
        keys.sort(Comparator.comparing(DomainKey::domain).thenComparing(DomainKey::createdAt));
        return keys;
    }

    public Optional<DomainKey> key(String domain, String selector) {
        String name = normalizeDomain(domain);
        return store.keys(name).stream().filter(k -> k.selector().equals(selector.toLowerCase(Locale.ROOT))).findFirst();
    }

    /**
     * Starts a rotation: a PENDING successor for each algorithm the domain signs with (the configured
     * ones when it has no active key), unless one is already waiting. The current keys keep signing
     * until their successors' records are visible in DNS.
     */
    public List<DomainKey> rotate(String domain) {
        String name = normalizeDomain(domain);
        List<DomainKey> keys = store.keys(name);
        List<DkimAlgorithm> algorithms = keys.stream().filter(k -> k.state() == KeyState.ACTIVE)
            .map(DomainKey::algorithm).distinct().collect(Collectors.toList());
        if (algorithms.isEmpty()) {
            algorithms = settings.algorithms();
        }
        List<DomainKey> made = new ArrayList<>();
        for (DkimAlgorithm algorithm : algorithms) {
            boolean waiting = keys.stream().anyMatch(k -> k.algorithm() == algorithm && k.state() == KeyState.PENDING);
            if (!waiting) {
                made.add(create(name, algorithm, Optional.empty()));
            }
        }
        return made;
    }

    /** Stops a key signing now; it is deleted after the grace period. */
    public DomainKey retire(String domain, String selector) {
        DomainKey key = key(domain, selector).orElseThrow(() -> new IllegalArgumentException(
            "no DKIM key " + selector + " for " + domain));
        Instant now = clock.instant();
        DomainKey retired = key.withState(KeyState.RETIRED, key.activatedAt(), Optional.of(now),
            Optional.of(now.plus(settings.gracePeriod())));
        store.update(retired);
        cache.remove(key.domain());
        LOGGER.info("DKIM key {} retired; deleted after {}", key.dnsName(), retired.deleteAfter().get());
        return retired;
    }

    public boolean delete(String domain, String selector) {
        Optional<DomainKey> key = key(domain, selector);
        key.ifPresent(k -> {
            store.delete(k.domain(), k.selector());
            cache.remove(k.domain());
            LOGGER.info("DKIM key {} deleted", k.dnsName());
        });
        return key.isPresent();
    }

    /** The keys mail from this domain is signed with now; cached briefly so signing reads Cassandra rarely. */
    public List<SigningKey> signingKeys(String domain) {
        String name = normalizeDomain(domain);
        Instant now = clock.instant();
        CachedKeys cached = cache.get(name);
        if (cached != null && cached.until.isAfter(now)) {
            return cached.keys;
        }
        List<SigningKey> keys = new ArrayList<>();
        for (DomainKey key : store.keys(name)) {
            if (key.state() == KeyState.ACTIVE) {
                byte[] pkcs8 = masterKey.decrypt(key.encryptedPrivateKey(), DomainKey.associatedData(name, key.selector()));
                keys.add(new SigningKey(name, key.selector(), DkimPrivateKey.fromPkcs8(key.algorithm(), pkcs8)));
            }
        }
        cache.put(name, new CachedKeys(List.copyOf(keys), now.plus(settings.keyCacheTtl())));
        return keys;
    }

    public boolean signatureRequired(String domain) {
        return settings.signatureRequired(normalizeDomain(domain));
    }

    /**
     * One round of the key life cycle, run on every node every dkim.checkInterval (each step is safe to
     * repeat): activate PENDING keys whose record DNS now shows, retiring the ACTIVE keys they replace;
     * delete RETIRED keys past their grace period; start rotations due by dkim.autoRotateAfter.
     * Returns the keys activated.
     */
    public List<DomainKey> maintain() {
        Instant now = clock.instant();
        List<DomainKey> activated = new ArrayList<>();
        List<DomainKey> all = store.allKeys();
        for (DomainKey key : all) {
            if (key.state() == KeyState.PENDING && published(key)) {
                DomainKey active = key.withState(KeyState.ACTIVE, Optional.of(now), Optional.empty(), Optional.empty());
                store.update(active);
                activated.add(active);
                LOGGER.info("DKIM key {} is visible in DNS and signs from now on", key.dnsName());
                for (DomainKey older : all) {
                    if (older.domain().equals(key.domain()) && older.algorithm() == key.algorithm()
                        && older.state() == KeyState.ACTIVE && older.createdAt().isBefore(key.createdAt())) {
                        store.update(older.withState(KeyState.RETIRED, older.activatedAt(), Optional.of(now),
                            Optional.of(now.plus(settings.gracePeriod()))));
                        LOGGER.info("DKIM key {} replaced by {}; deleted after {}", older.dnsName(), key.selector(),
                            now.plus(settings.gracePeriod()));
                    }
                }
                cache.remove(key.domain());
            } else if (key.state() == KeyState.RETIRED && key.deleteAfter().map(t -> !t.isAfter(now)).orElse(false)) {
                store.delete(key.domain(), key.selector());
                LOGGER.info("DKIM key {} deleted at the end of its grace period", key.dnsName());
            }
        }
        settings.autoRotateAfter().ifPresent(age -> {
            for (DomainKey key : all) {
                if (key.state() == KeyState.ACTIVE && key.activatedAt().map(t -> !t.plus(age).isAfter(now)).orElse(false)
                    && all.stream().noneMatch(k -> k.domain().equals(key.domain())
                        && k.algorithm() == key.algorithm() && k.state() == KeyState.PENDING)) {
                    LOGGER.info("DKIM key {} is older than dkim.autoRotateAfter: making its successor", key.dnsName());
                    create(key.domain(), key.algorithm(), Optional.empty());
                }
            }
        });
        return activated;
    }

    private boolean published(DomainKey key) {
        try {
            for (String txt : dns.txt(key.dnsName())) {
                if (DnsRecord.publishes(txt, publicKeyOf(key))) {
                    return true;
                }
            }
        } catch (RuntimeException e) {
            LOGGER.warn("DNS check of DKIM key {} failed: {}", key.dnsName(), e.getMessage());
        }
        return false;
    }

    private DkimPrivateKey publicKeyOf(DomainKey key) {
        return DkimPrivateKey.fromPkcs8(key.algorithm(),
            masterKey.decrypt(key.encryptedPrivateKey(), DomainKey.associatedData(key.domain(), key.selector())));
    }

    private static final class CachedKeys {
        final List<SigningKey> keys;
        final Instant until;

        CachedKeys(List<SigningKey> keys, Instant until) {
            this.keys = keys;
            this.until = until;
        }
    }
}
