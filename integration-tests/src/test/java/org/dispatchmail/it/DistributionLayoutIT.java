package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.dispatchmail.it.support.DispatchNode;
import org.junit.jupiter.api.Test;

/** What an admin copies into James's extensions-jars/ holds the pack and nothing James already ships. */
class DistributionLayoutIT {
    private static final Pattern JAR = Pattern.compile("(.+?)-(\\d[^-]*(?:-[A-Za-z0-9._]+)*)\\.jar");

    private static Map<String, String> artifacts(Path dir) throws IOException {
        Map<String, String> versions = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (String name : files.map(file -> file.getFileName().toString()).collect(Collectors.toList())) {
                Matcher m = JAR.matcher(name);
                assertThat(m.matches()).as("jar name %s", name).isTrue();
                versions.put(m.group(1), m.group(2));
            }
        }
        return versions;
    }

    @Test
    void extensionJarsHoldThePackAndNoSecondCopyOfAJamesLibrary() throws IOException {
        Map<String, String> extensions = artifacts(DispatchNode.home().resolve("extensions-jars"));
        Map<String, String> james = artifacts(DispatchNode.home().resolve("james/lib"));

        assertThat(extensions).containsKeys("dispatch-core", "dispatch-smtp", "dispatch-matchers", "dispatch-mailets");
        assertThat(extensions).as("the native crypto provider ships with the pack, for linux-x86_64")
            .containsEntry("AmazonCorrettoCryptoProvider", "2.4.1-linux-x86_64");
        assertThat(extensions.keySet()).as("artifacts James 3.8.1 already ships, in any version")
            .doesNotContainAnyElementsOf(james.keySet());
        assertThat(james).as("James ships the Cassandra driver Dispatch uses")
            .containsEntry("java-driver-core", "4.15.0");
    }
}
