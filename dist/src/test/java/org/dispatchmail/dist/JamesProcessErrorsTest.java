package org.dispatchmail.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JamesProcessErrorsTest {
    @TempDir
    Path dir;

    @Test
    void theNestedExceptionBehindAMailetInitErrorIsShown() throws Exception {
        Path log = dir.resolve("james.log");
        Files.write(log, String.join("\n",
            "2026-12-07 13:36:47.500 [INFO ] o.a.j.Something - started",
            "2026-12-07 13:36:47.504 [ERROR] o.a.j.m.l.AbstractStateMailetProcessor - Unable to init mailet X",
            "2026-12-07 13:36:47.509 [ERROR] o.a.j.m.l.AbstractStateMailetProcessor - Caused by nested exception: ",
            "org.dispatchmail.core.cassandra.CassandraUnavailableException: schema set-up timed out",
            "\tat org.dispatchmail.core.Foo.bar(Foo.java:12)",
            "some.plain.sentence without a type").getBytes(StandardCharsets.UTF_8));

        String errors = JamesProcess.errors(log);

        assertThat(errors).contains("Unable to init mailet X")
            .contains("CassandraUnavailableException: schema set-up timed out")
            .doesNotContain("started")
            .doesNotContain("Foo.java")
            .doesNotContain("plain.sentence");
    }
}
