package org.dispatchmail.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.config.ConfigReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransportRulesTest {

    @TempDir
    Path dir;

    private static TransportRules rules(String... keysAndValues) {
        return TransportRules.from(config(keysAndValues));
    }

    private static ConfigReader config(String... keysAndValues) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return new ConfigReader("dispatch.properties", values);
    }

    /** The start-up error, which must name the key: "dispatch.properties: KEY problem". */
    private static String errorOf(String... keysAndValues) {
        try {
            rules(keysAndValues);
        } catch (ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("no error for " + String.join(" ", keysAndValues));
    }

    private static String rule(TransportRules rules, String domain) {
        return rules.routeFor(domain).rule().orElse("(default)");
    }

    // ---------------------------------------------------------------- defaults

    @Test
    void withoutRulesEveryDomainGoesByMxWithOpportunisticTls() {
        TransportRules rules = rules();

        Route route = rules.routeFor("example.com");
        assertThat(route.kind()).isEqualTo(Route.Kind.MX);
        assertThat(route.rule()).isEmpty();
        assertThat(route.tls()).isEqualTo(TlsPolicy.OPPORTUNISTIC);
        assertThat(route.credentials()).isEmpty();
        assertThat(route.describe()).isEqualTo("mx (tls opportunistic)");
    }

    @Test
    void deliveryTlsSetsTheDefaultRoute() {
        assertThat(rules("delivery.tls", "required").routeFor("example.com").tls()).isEqualTo(TlsPolicy.REQUIRED);
        assertThat(rules("delivery.tls", "NONE").routeFor("example.com").tls()).isEqualTo(TlsPolicy.NONE);
    }

    @Test
    void mxRuleDefaultsToOpportunisticAndMayRequireTls() {
        TransportRules rules = rules("transport.rules", "partners,plain",
                "transport.partners.domains", "partner.example",
                "transport.partners.tls", "required",
                "transport.plain.domains", "legacy.example");

        Route partners = rules.routeFor("partner.example");
        assertThat(partners.kind()).isEqualTo(Route.Kind.MX);
        assertThat(partners.tls()).isEqualTo(TlsPolicy.REQUIRED);
        assertThat(partners.describe()).isEqualTo("transport partners: mx (tls required)");
        assertThat(rules.routeFor("legacy.example").tls()).isEqualTo(TlsPolicy.OPPORTUNISTIC);
        assertThat(rules.routeFor("legacy.example").rule()).contains("plain");
    }

    @Test
    void mxRuleMayTurnMtaStsToTestingOrOff() {
        TransportRules rules = rules("transport.rules", "broken,trial,plain",
                "transport.broken.domains", "broken.example",
                "transport.broken.mtaSts", "off",
                "transport.trial.domains", "trial.example",
                "transport.trial.mtaSts", "Testing",
                "transport.plain.domains", "plain.example");

        assertThat(rules.routeFor("broken.example").mtaSts()).isEqualTo(MtaStsOverride.OFF);
        assertThat(rules.routeFor("broken.example").describe())
                .isEqualTo("transport broken: mx (tls opportunistic, mta-sts off)");
        assertThat(rules.routeFor("trial.example").mtaSts()).isEqualTo(MtaStsOverride.TESTING);
        assertThat(rules.routeFor("plain.example").mtaSts()).isEqualTo(MtaStsOverride.AS_PUBLISHED);
        assertThat(rules.routeFor("other.example").mtaSts()).isEqualTo(MtaStsOverride.AS_PUBLISHED);
        // the option is part of the route, so of the destination
        assertThat(Route.mx(Optional.of("x"), TlsPolicy.OPPORTUNISTIC, MtaStsOverride.OFF))
                .isNotEqualTo(Route.mx(Optional.of("x"), TlsPolicy.OPPORTUNISTIC))
                .isEqualTo(Route.mx(Optional.of("x"), TlsPolicy.OPPORTUNISTIC, MtaStsOverride.OFF));
        assertThat(Destination.mx("a.example", Route.mx(Optional.of("x"), TlsPolicy.OPPORTUNISTIC,
                MtaStsOverride.TESTING))).isNotEqualTo(Destination.mx("a.example",
                Route.mx(Optional.of("x"), TlsPolicy.OPPORTUNISTIC)));
    }

    @Test
    void unknownMtaStsValuesAndMtaStsOnASmartHostAreRefusedNamingTheKey() {
        assertThat(errorOf("transport.rules", "partners",
                "transport.partners.domains", "partner.example",
                "transport.partners.mtaSts", "enforce"))
                .contains("transport.partners.mtaSts").contains("'enforce' is not testing or off");
        assertThat(errorOf("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net",
                "transport.relay.mtaSts", "off"))
                .contains("transport.relay.mtaSts").contains("only for route=mx");
    }

    @Test
    void smartHostDefaultsToPort25AndRequiredTls() {
        Route route = rules("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "Relay.Example.NET").routeFor("anything.example");

        assertThat(route.kind()).isEqualTo(Route.Kind.SMARTHOST);
        assertThat(route.host()).isEqualTo("relay.example.net");
        assertThat(route.port()).isEqualTo(25);
        assertThat(route.tls()).isEqualTo(TlsPolicy.REQUIRED);
        assertThat(route.describe()).isEqualTo("transport relay: smarthost relay.example.net:25 (tls required)");
    }

    @Test
    void smartHostForms() {
        assertThat(smartHost("relay.example.net:587")).extracting(Route::host, Route::port)
                .containsExactly("relay.example.net", 587);
        assertThat(smartHost("[relay.example.net]:2525")).extracting(Route::host, Route::port)
                .containsExactly("relay.example.net", 2525);
        assertThat(smartHost("[relay.example.net]")).extracting(Route::host, Route::port)
                .containsExactly("relay.example.net", 25);
        assertThat(smartHost("192.0.2.7:587")).extracting(Route::host, Route::port)
                .containsExactly("192.0.2.7", 587);
        assertThat(smartHost("[2001:db8::7]:587")).extracting(Route::host, Route::port)
                .containsExactly("2001:db8:0:0:0:0:0:7", 587);
        assertThat(smartHost("relais.bücher.example")).extracting(Route::host)
                .isEqualTo("relais.xn--bcher-kva.example");
    }

    @Test
    void implicitTlsDefaultsToPort465() {
        Route route = rules("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net",
                "transport.relay.tls", "implicit").routeFor("example.org");

        assertThat(route.port()).isEqualTo(465);
        assertThat(route.tls()).isEqualTo(TlsPolicy.IMPLICIT);
    }

    private static Route smartHost(String host) {
        return rules("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", host).routeFor("example.org");
    }

    // ---------------------------------------------------------------- credentials

    @Test
    void passwordComesFromAFileTrimmed() throws Exception {
        Path file = dir.resolve("relay.password");
        Files.write(file, "  s3cret pass\n\n".getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        Route route = rules("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net:587",
                "transport.relay.username", "dispatch@example.com",
                "transport.relay.passwordFile", file.toString()).routeFor("example.org");

        assertThat(route.credentials()).isPresent();
        assertThat(route.credentials().get().username()).isEqualTo("dispatch@example.com");
        assertThat(route.credentials().get().password()).isEqualTo("s3cret pass");
        assertThat(route.describe()).contains("auth as dispatch@example.com").doesNotContain("s3cret");
        assertThat(rules("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net:587",
                "transport.relay.username", "dispatch@example.com",
                "transport.relay.passwordFile", file.toString()).toString()).doesNotContain("s3cret");
    }

    @Test
    void aPasswordFileOthersMayReadIsRefused() throws Exception {
        Path file = dir.resolve("relay.password");
        Files.write(file, "s3cret\n".getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        assertThat(errorOf("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net:587",
                "transport.relay.username", "u",
                "transport.relay.passwordFile", file.toString()))
                .startsWith("dispatch.properties: transport.relay.passwordFile " + file + " holds a secret")
                .endsWith("run chmod 600 " + file);
    }

    @Test
    void passwordMayBeInline() {
        Route route = rules("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net:465",
                "transport.relay.tls", "implicit",
                "transport.relay.username", "u",
                "transport.relay.password", "p").routeFor("example.org");

        assertThat(route.credentials().get().password()).isEqualTo("p");
    }

    @Test
    void usernameWithoutPasswordNamesTheKeys() {
        assertThat(errorOf("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net:587",
                "transport.relay.username", "u"))
                .startsWith("dispatch.properties: transport.relay.username is set without a password")
                .contains("transport.relay.passwordFile");
    }

    @Test
    void passwordWithoutUsernameNamesTheKey() {
        assertThat(errorOf("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net:587",
                "transport.relay.password", "p"))
                .startsWith("dispatch.properties: transport.relay.password is set without transport.relay.username");
        assertThat(errorOf("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net:587",
                "transport.relay.passwordFile", "/nonexistent"))
                .startsWith("dispatch.properties: transport.relay.passwordFile is set without");
    }

    @Test
    void passwordAndPasswordFileTogetherIsAnError() {
        assertThat(errorOf("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net:587",
                "transport.relay.username", "u",
                "transport.relay.password", "p",
                "transport.relay.passwordFile", "/etc/x"))
                .startsWith("dispatch.properties: transport.relay.password and transport.relay.passwordFile are both");
    }

    @Test
    void unreadableOrEmptyPasswordFileNamesTheKey() throws Exception {
        Path empty = dir.resolve("empty");
        Files.write(empty, " \n".getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(empty, PosixFilePermissions.fromString("rw-------"));
        String[] base = {"transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net:587",
                "transport.relay.username", "u"};

        assertThat(errorOf(with(base, "transport.relay.passwordFile", dir.resolve("missing").toString())))
                .startsWith("dispatch.properties: transport.relay.passwordFile cannot read " + dir.resolve("missing"));
        assertThat(errorOf(with(base, "transport.relay.passwordFile", empty.toString())))
                .startsWith("dispatch.properties: transport.relay.passwordFile '").endsWith("is empty");
    }

    @Test
    void passwordWithALineBreakInsideIsRefused() throws Exception {
        Path file = dir.resolve("two-lines");
        Files.write(file, "first\nsecond\n".getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        assertThat(errorOf("transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net:587",
                "transport.relay.username", "u",
                "transport.relay.passwordFile", file.toString()))
                .startsWith("dispatch.properties: transport.relay.passwordFile holds a password with a line break");
    }

    @Test
    void loginOverAnUnencryptedConnectionIsRefused() {
        String[] base = {"transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.example.net:587",
                "transport.relay.username", "u",
                "transport.relay.password", "p"};

        assertThat(errorOf(with(base, "transport.relay.tls", "none")))
                .startsWith("dispatch.properties: transport.relay.tls is none")
                .contains("unencrypted");
        assertThat(errorOf(with(base, "transport.relay.tls", "opportunistic")))
                .startsWith("dispatch.properties: transport.relay.tls is opportunistic");
    }

    @Test
    void loginOnAnMxRouteIsAnError() {
        assertThat(errorOf("transport.rules", "corp",
                "transport.corp.domains", "example.com",
                "transport.corp.username", "u",
                "transport.corp.password", "p"))
                .startsWith("dispatch.properties: transport.corp.username is only for route=smarthost");
    }

    private static String[] with(String[] base, String key, String value) {
        String[] all = java.util.Arrays.copyOf(base, base.length + 2);
        all[base.length] = key;
        all[base.length + 1] = value;
        return all;
    }

    // ---------------------------------------------------------------- other mistakes, each naming its key

    @Test
    void badRuleNamesAndDuplicates() {
        assertThat(errorOf("transport.rules", "corp,bad name"))
                .startsWith("dispatch.properties: transport.rules 'bad name' is not a valid transport name");
        assertThat(errorOf("transport.rules", "corp,corp", "transport.corp.domains", "example.com"))
                .startsWith("dispatch.properties: transport.rules names 'corp' twice");
    }

    @Test
    void ruleWithoutDomains() {
        assertThat(errorOf("transport.rules", "corp", "transport.corp.route", "mx"))
                .startsWith("dispatch.properties: transport.corp.domains is required");
    }

    @Test
    void badDomainPatterns() {
        assertThat(errorOf("transport.rules", "corp", "transport.corp.domains", "exa mple.com"))
                .startsWith("dispatch.properties: transport.corp.domains 'exa mple.com': invalid domain name")
                .contains("character ' '");
        assertThat(errorOf("transport.rules", "corp", "transport.corp.domains", "a..example.com"))
                .startsWith("dispatch.properties: transport.corp.domains 'a..example.com': invalid domain name");
        assertThat(errorOf("transport.rules", "corp", "transport.corp.domains", "*example.com"))
                .startsWith("dispatch.properties: transport.corp.domains '*example.com': '*' may only");
        assertThat(errorOf("transport.rules", "corp", "transport.corp.domains", "mail.*.example.com"))
                .startsWith("dispatch.properties: transport.corp.domains 'mail.*.example.com'");
        assertThat(errorOf("transport.rules", "corp", "transport.corp.domains", "*.*.example.com"))
                .startsWith("dispatch.properties: transport.corp.domains '*.*.example.com'");
        assertThat(errorOf("transport.rules", "corp", "transport.corp.domains", "[192.0.2.1]"))
                .startsWith("dispatch.properties: transport.corp.domains '[192.0.2.1]'");
        assertThat(errorOf("transport.rules", "corp", "transport.corp.domains", "x".repeat(64) + ".com"))
                .startsWith("dispatch.properties: transport.corp.domains").contains("too long");
    }

    @Test
    void aPatternBelongsToOneRuleOnly() {
        assertThat(errorOf("transport.rules", "a,b",
                "transport.a.domains", "example.com",
                "transport.b.domains", "other.example,EXAMPLE.com."))
                .startsWith("dispatch.properties: transport.b.domains 'EXAMPLE.com.' is already routed by "
                        + "transport.a.domains");
        assertThat(errorOf("transport.rules", "a",
                "transport.a.domains", "*.example.com,*.Example.COM"))
                .startsWith("dispatch.properties: transport.a.domains lists '*.Example.COM' twice");
        // the same name in Unicode and in A-labels is the same pattern
        assertThat(errorOf("transport.rules", "a,b",
                "transport.a.domains", "bücher.example",
                "transport.b.domains", "xn--bcher-kva.example"))
                .startsWith("dispatch.properties: transport.b.domains 'xn--bcher-kva.example' is already routed");
    }

    @Test
    void badRouteAndTls() {
        assertThat(errorOf("transport.rules", "corp", "transport.corp.domains", "example.com",
                "transport.corp.route", "relay"))
                .startsWith("dispatch.properties: transport.corp.route 'relay' is not mx or smarthost");
        assertThat(errorOf("transport.rules", "corp", "transport.corp.domains", "example.com",
                "transport.corp.tls", "maybe"))
                .startsWith("dispatch.properties: transport.corp.tls 'maybe' is not one of none, opportunistic, "
                        + "required, implicit");
        assertThat(errorOf("transport.rules", "corp", "transport.corp.domains", "example.com",
                "transport.corp.tls", "implicit"))
                .startsWith("dispatch.properties: transport.corp.tls cannot be implicit with route=mx");
        assertThat(errorOf("delivery.tls", "implicit"))
                .startsWith("dispatch.properties: delivery.tls cannot be implicit");
        assertThat(errorOf("delivery.tls", "strict"))
                .startsWith("dispatch.properties: delivery.tls 'strict' is not one of");
    }

    @Test
    void hostMistakes() {
        String[] smartHost = {"transport.rules", "relay", "transport.relay.domains", "*",
                "transport.relay.route", "smarthost"};

        assertThat(errorOf(smartHost))
                .startsWith("dispatch.properties: transport.relay.host is required for route=smarthost");
        assertThat(errorOf(with(smartHost, "transport.relay.host", "relay.example.net:0")))
                .startsWith("dispatch.properties: transport.relay.host 'relay.example.net:0': port must be 1-65535");
        assertThat(errorOf(with(smartHost, "transport.relay.host", "relay.example.net:smtp")))
                .startsWith("dispatch.properties: transport.relay.host 'relay.example.net:smtp': port must be");
        assertThat(errorOf(with(smartHost, "transport.relay.host", "[relay.example.net")))
                .startsWith("dispatch.properties: transport.relay.host '[relay.example.net': missing ']'");
        assertThat(errorOf(with(smartHost, "transport.relay.host", "2001:db8::1")))
                .startsWith("dispatch.properties: transport.relay.host '2001:db8::1': an IPv6 address goes in brackets");
        assertThat(errorOf(with(smartHost, "transport.relay.host", "300.1.1.1:25")))
                .startsWith("dispatch.properties: transport.relay.host '300.1.1.1:25': invalid IPv4 address");
        assertThat(errorOf(with(smartHost, "transport.relay.host", "relay example:25")))
                .startsWith("dispatch.properties: transport.relay.host 'relay example:25': invalid domain name");
        assertThat(errorOf(with(smartHost, "transport.relay.host", ":25")))
                .startsWith("dispatch.properties: transport.relay.host ':25': no host name");
        assertThat(errorOf("transport.rules", "corp", "transport.corp.domains", "example.com",
                "transport.corp.host", "relay.example.net"))
                .startsWith("dispatch.properties: transport.corp.host is only for route=smarthost");
    }

    // ---------------------------------------------------------------- matching

    private static TransportRules layered() {
        // listed from the broadest to the most specific on purpose: order must not matter
        return rules("transport.rules", "everything,company,subsidiaries,deep,exactSub",
                "transport.everything.domains", "*",
                "transport.everything.route", "smarthost",
                "transport.everything.host", "relay.example.net",
                "transport.company.domains", "example.com",
                "transport.subsidiaries.domains", "*.example.com",
                "transport.deep.domains", "*.eu.example.com",
                "transport.exactSub.domains", "paris.eu.example.com");
    }

    @Test
    void mostSpecificPatternWinsWhateverTheOrder() {
        TransportRules rules = layered();

        assertThat(rule(rules, "example.com")).isEqualTo("company");
        assertThat(rule(rules, "us.example.com")).isEqualTo("subsidiaries");
        assertThat(rule(rules, "mail.us.example.com")).isEqualTo("subsidiaries");
        assertThat(rule(rules, "eu.example.com")).isEqualTo("subsidiaries");
        assertThat(rule(rules, "berlin.eu.example.com")).isEqualTo("deep");
        assertThat(rule(rules, "x.berlin.eu.example.com")).isEqualTo("deep");
        assertThat(rule(rules, "paris.eu.example.com")).isEqualTo("exactSub");
        assertThat(rule(rules, "mail.paris.eu.example.com")).isEqualTo("deep");
        assertThat(rule(rules, "example.org")).isEqualTo("everything");
        assertThat(rule(rules, "notexample.com")).isEqualTo("everything");
    }

    @Test
    void wildcardIsForStrictSubdomainsOnly() {
        TransportRules rules = rules("transport.rules", "subs", "transport.subs.domains", "*.example.com");

        assertThat(rule(rules, "a.example.com")).isEqualTo("subs");
        assertThat(rule(rules, "example.com")).isEqualTo("(default)");
        assertThat(rule(rules, "badexample.com")).isEqualTo("(default)");
    }

    @Test
    void matchingIgnoresCaseAndTrailingDot() {
        TransportRules rules = layered();

        assertThat(rule(rules, "EXAMPLE.Com")).isEqualTo("company");
        assertThat(rule(rules, "example.com.")).isEqualTo("company");
        assertThat(rule(rules, "Berlin.EU.example.COM.")).isEqualTo("deep");
    }

    @Test
    void internationalisedNamesMatchInEitherForm() {
        TransportRules rules = rules("transport.rules", "books,shops",
                "transport.books.domains", "bücher.example",
                "transport.shops.domains", "*.xn--mnchen-3ya.example");

        assertThat(rule(rules, "bücher.example")).isEqualTo("books");
        assertThat(rule(rules, "BÜCHER.example")).isEqualTo("books");
        assertThat(rule(rules, "xn--bcher-kva.example")).isEqualTo("books");
        assertThat(rule(rules, "laden.münchen.example")).isEqualTo("shops");
        assertThat(rule(rules, "laden.xn--mnchen-3ya.example")).isEqualTo("shops");
    }

    @Test
    void invalidRecipientDomainIsAClearError() {
        TransportRules rules = layered();

        assertThatThrownBy(() -> rules.routeFor("bad domain.example"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid domain name 'bad domain.example'");
        assertThatThrownBy(() -> rules.routeFor(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty domain name");
        assertThatThrownBy(() -> rules.routeFor("a..b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a..b'");
    }

    @Test
    void describeListsEveryRuleAndTheDefault() {
        assertThat(rules("transport.rules", "partners",
                "transport.partners.domains", "partner.example,*.partner.example",
                "transport.partners.tls", "required",
                "delivery.tls", "none").describe())
                .containsExactly("partner.example,*.partner.example -> transport partners: mx (tls required)",
                        "other domains -> mx (tls none)");
    }

    @Test
    void routeObjectsRefuseUnsafeCombinations() {
        assertThatThrownBy(() -> Route.mx(Optional.empty(), TlsPolicy.IMPLICIT))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Route.smartHost("r", "relay.example", 587, TlsPolicy.OPPORTUNISTIC,
                Optional.of(new org.dispatchmail.core.routing.SmtpCredentials("u", "p"))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- the shipped configuration

    private static Map<String, String> shippedProperties() throws Exception {
        java.util.Properties properties = new java.util.Properties();
        try (java.io.Reader reader = Files.newBufferedReader(Path.of("..", "conf", "dispatch.properties"),
                StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        Map<String, String> values = new HashMap<>();
        properties.stringPropertyNames().forEach(name -> values.put(name, properties.getProperty(name)));
        return values;
    }

    @Test
    void shippedDefaultsRouteEverythingByMx() throws Exception {
        RoutingSettings settings = RoutingSettings.from(new ConfigReader("dispatch.properties", shippedProperties()));

        assertThat(settings.rules().routeFor("example.com").describe()).isEqualTo("mx (tls opportunistic)");
        assertThat(settings.deadHostTime()).isEqualTo(java.time.Duration.ofMinutes(5));
    }

    @Test
    void theDocumentedExampleWorks() throws Exception {
        Path password = dir.resolve("provider.password");
        Files.write(password, "pw\n".getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> values = shippedProperties();
        for (String line : Files.readAllLines(Path.of("..", "conf", "dispatch.properties"), StandardCharsets.UTF_8)) {
            java.util.regex.Matcher example = java.util.regex.Pattern.compile("#\\s+(transport\\.[\\w.]+)=(\\S+)")
                    .matcher(line);
            if (example.matches()) {
                values.put(example.group(1), example.group(1).endsWith("passwordFile")
                        ? password.toString() : example.group(2));
            }
        }
        TransportRules rules = TransportRules.from(new ConfigReader("dispatch.properties", values));

        assertThat(rules.routeFor("anywhere.example").describe())
                .isEqualTo("transport provider: smarthost smtp.provider.example:587 (tls required, auth as "
                        + "outbound@example.com)");
        assertThat(rules.routeFor("mail.partner.example").describe())
                .isEqualTo("transport partner: mx (tls required)");
    }
}
