package org.dispatchmail.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Help on every command and subcommand, and the exit status of each kind of failure. */
class DispatchLauncherExitCodesTest {
    @TempDir
    Path dir;

    /** What one launcher run printed and returned. */
    private static final class Result {
        final int status;
        final String out;
        final String err;

        Result(int status, String out, String err) {
            this.status = status;
            this.out = out;
            this.err = err;
        }
    }

    private Result launch(String commandLine) {
        List<String> args = new ArrayList<>(List.of(commandLine.trim().split(" +")));
        if (commandLine.isBlank()) {
            args.clear();
        }
        // an unreachable webadmin and an empty state, so nothing here reaches a real server
        args.addAll(List.of("--state", dir.resolve("state").toString(), "--conf", dir.resolve("conf").toString(),
            "--webadmin", "http://127.0.0.1:1"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = DispatchLauncher.exitCode(args.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"run", "init", "token", "add-domain", "add-user", "help",
        "dkim", "dkim generate", "dkim list", "dkim dns", "dkim check", "dkim rotate", "dkim retire", "dkim delete",
        "submission", "submission add", "submission list", "submission password", "submission senders",
        "submission remove", "srs", "srs keys", "srs rotate", "srs retire",
        "queue", "queue summary", "queue list", "queue show", "queue retry", "queue hold", "queue release",
        "queue bounce", "queue delete", "tls", "tls show"})
    void everyCommandAndSubcommandPrintsItsUsageOnHelpAndExitsZero(String command) {
        for (String help : List.of("--help", "-h")) {
            Result result = launch(command + " " + help);
            assertThat(result.status).as(command + " " + help + ": " + result.err).isZero();
            assertThat(result.err).isEmpty();
            assertThat(result.out).startsWith("usage: dispatch").contains("  " + command.split(" ")[0])
                .contains("-h, --help");
        }
    }

    @Test
    void helpOfASubcommandShowsThatSubcommandOnly() {
        Result result = launch("queue list -h");
        assertThat(result.out).contains("queue list [--status S]").doesNotContain("queue show");

        Result submission = launch("submission --help");
        assertThat(submission.status).isZero();
        assertThat(submission.out).contains("submission add LOGIN", "submission remove LOGIN")
            .doesNotContain("dkim ");

        assertThat(launch("help dkim rotate").out).contains("dkim rotate DOMAIN").doesNotContain("dkim list");
        assertThat(launch("help").out).contains("run [--conf DIR]", "queue summary", "srs keys");
        assertThat(launch("--help").status).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "frobnicate", "run extra", "init extra", "token extra", "add-domain",
        "add-domain a.example b.example", "add-user", "dkim", "dkim frob", "dkim generate", "dkim list a b",
        "dkim dns", "dkim check extra", "dkim rotate", "dkim retire example.com", "dkim delete example.com",
        "submission", "submission frob", "submission add", "submission list extra", "submission password",
        "submission senders alice@example.com", "submission remove", "srs", "srs frob", "srs keys extra",
        "srs rotate extra", "srs retire extra", "queue", "queue frob", "queue summary extra", "queue list extra",
        "queue show", "queue retry", "queue hold a b", "queue release", "queue bounce", "queue delete",
        "queue summary --frob x", "queue summary -x", "token --days many", "token --days", "tls", "tls frob",
        "tls show", "tls show a.example b.example"})
    void aUsageErrorExitsTwoWithAMessage(String command) {
        Result result = launch(command);
        assertThat(result.status).as(command + ": " + result.err).isEqualTo(2);
        assertThat(result.out).isEmpty();
        assertThat(result.err).startsWith("dispatch: ");
    }

    @Test
    void theMessageSaysWhatWasWrong() {
        assertThat(launch("").err).startsWith("dispatch: which command?");
        assertThat(launch("frobnicate").err).startsWith("dispatch: unknown command frobnicate");
        assertThat(launch("queue summary --frob x").err).startsWith("dispatch: unknown option --frob");
        assertThat(launch("token --days").err).startsWith("dispatch: option --days needs a value");
        assertThat(launch("queue frob").err).startsWith("dispatch: queue needs one of summary")
            .contains("queue show ID").doesNotContain("dkim list");
        assertThat(launch("tls frob").err).startsWith("dispatch: tls needs show").contains("tls show DOMAIN");
        assertThat(launch("tls show").err).startsWith("dispatch: usage: dispatch tls show DOMAIN");
        assertThat(launch("dkim retire example.com").err)
            .startsWith("dispatch: usage: dispatch dkim retire DOMAIN SELECTOR");
    }

    @ParameterizedTest
    @ValueSource(strings = {"add-domain example.com", "dkim list", "dkim check", "submission list", "srs keys",
        "queue summary", "queue show 5f0c", "queue retry all", "queue delete --domain example.org",
        "tls show example.org"})
    void anAdminCommandThatCannotReachWebadminExitsTwo(String command) {
        Result result = launch(command);
        assertThat(result.status).isEqualTo(2);
        assertThat(result.err).startsWith("dispatch: cannot reach James's webadmin at http://127.0.0.1:1");
    }

    @Test
    void aCommandThatWorksExitsZero() {
        assertThat(launch("init").status).isZero();
        assertThat(launch("token --subject monitoring --days 1").status).isZero();
    }

    @Test
    void runWithoutAConfigurationExitsTwo() {
        Result result = launch("run --home " + dir);
        assertThat(result.status).isEqualTo(2);
        assertThat(result.err).startsWith("dispatch: ");
    }
}
