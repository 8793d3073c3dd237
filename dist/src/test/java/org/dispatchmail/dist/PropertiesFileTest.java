package org.dispatchmail.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PropertiesFileTest {
    @TempDir
    Path dir;

    @Test
    void aKeyGivenTwiceIsNamedWithBothLines() throws Exception {
        Path file = dir.resolve("dispatch.properties");
        Files.write(file, List.of(
            "# limits",
            "submission.maxMessagesPerHour=1000",
            "queue.shards=16",
            "",
            "submission.maxMessagesPerHour = 0"));

        assertThatThrownBy(() -> PropertiesFile.read(file))
            .isInstanceOf(LaunchException.class)
            .hasMessage(file + ": submission.maxMessagesPerHour is given twice, on lines 2 and 5; keep one of them");
    }

    @Test
    void theSecondLineIsFoundBehindContinuationsAndWithAnySeparator() {
        assertThatThrownBy(() -> PropertiesFile.parse("dispatch.properties", List.of(
            "retry.schedule=1m,\\",
            "    5m,\\",
            "    15m",
            "retry.schedule:1h")))
            .hasMessage("dispatch.properties: retry.schedule is given twice, on lines 1 and 4; keep one of them");
        assertThatThrownBy(() -> PropertiesFile.parse("dispatch.properties", List.of("a b", "  a=c")))
            .hasMessage("dispatch.properties: a is given twice, on lines 1 and 2; keep one of them");
    }

    @Test
    void readsWhatJavaPropertiesReads() throws Exception {
        Properties properties = PropertiesFile.parse("x.properties", List.of(
            "# a comment that ends in a backslash \\",
            "! another",
            "list=a,\\",
            "     b",
            "escaped\\ key=value with \\\\ backslash\\\\",
            "path=/tmp/x",
            "empty="));

        assertThat(properties).hasSize(4)
            .containsEntry("list", "a,b")
            .containsEntry("escaped key", "value with \\ backslash\\")
            .containsEntry("path", "/tmp/x")
            .containsEntry("empty", "");
    }

    @Test
    void theShippedConfigurationHasNoKeyTwice() throws Exception {
        for (String name : List.of("dispatch.properties", "webadmin.properties")) {
            assertThat(PropertiesFile.read(Path.of("..", "conf", name))).as(name).isNotEmpty();
        }
    }
}
