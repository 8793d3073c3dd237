package org.dispatchmail.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DispatchLauncherTest {
    @TempDir
    Path dir;

    @Test
    void aPasswordOnTheCommandLineIsRefusedBeforeAnythingIsSent() {
        assertThatThrownBy(() -> DispatchLauncher.execute(new String[] {"add-user", "alice@example.com", "s3cret",
            "--webadmin", "http://127.0.0.1:1", "--state", dir.toString()}))
            .isInstanceOf(LaunchException.class)
            .hasMessageStartingWith("add-user takes no password on the command line")
            .hasMessageNotContaining("s3cret");
    }

    @Test
    void aTokenFileOthersMayReadIsRefused() throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, "x.y.z\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-rw-r--"));

        assertThatThrownBy(() -> DispatchLauncher.execute(new String[] {"queue", "summary",
            "--webadmin", "http://127.0.0.1:1", "--token-file", token.toString()}))
            .isInstanceOf(LaunchException.class).hasMessageEndingWith("run chmod 600 " + token);
    }

    @Test
    void aNamedTokenFileMustExist() {
        assertThatThrownBy(() -> DispatchLauncher.execute(new String[] {"queue", "summary",
            "--webadmin", "http://127.0.0.1:1", "--token-file", dir.resolve("absent").toString()}))
            .isInstanceOf(LaunchException.class).hasMessageStartingWith("cannot read " + dir.resolve("absent"));
    }

    @Test
    void initMakesTheSecretsAndTokenSignsWithThem() throws Exception {
        Path state = dir.resolve("state");
        assertThat(DispatchLauncher.execute(new String[] {"init", "--state", state.toString()})).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
        for (String secret : new String[] {"admin-token", "webadmin/jwt-private.pem", "dkim/master.key", "tls/keystore.p12"}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve(secret))))
                .as(secret).isEqualTo("rw-------");
        }
        assertThatThrownBy(() -> DispatchLauncher.execute(new String[] {"token", "--state", state.toString(),
            "--days", "0"})).isInstanceOf(LaunchException.class).hasMessage("--days '0' is not a positive whole number");
        assertThatThrownBy(() -> DispatchLauncher.execute(new String[] {"token", "--state", dir.resolve("none").toString()}))
            .isInstanceOf(LaunchException.class).hasMessageStartingWith("no webadmin signing key at ");
    }
}
