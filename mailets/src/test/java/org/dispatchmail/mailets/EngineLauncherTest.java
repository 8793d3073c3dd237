package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.utils.PropertiesProvider;
import org.dispatchmail.core.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineLauncherTest {
    @TempDir
    Path conf;

    @Test
    void aKeyGivenTwiceInJamesConfFolderStopsTheStartNamingIt() throws IOException {
        Files.writeString(conf.resolve("dispatch.properties"),
            "cassandra.contactPoints=127.0.0.1:9042\nsubmission.maxMessagesPerHour=1000\n"
                + "submission.maxMessagesPerHour=0\n", StandardCharsets.UTF_8);
        EngineLauncher launcher = new EngineLauncher(PropertiesProvider.forTesting(), confFolder(), null, null, null);

        assertThatThrownBy(launcher::get)
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("submission.maxMessagesPerHour is given twice, on lines 2 and 3");
    }

    /** James's file system with conf/ in the test's folder. */
    private FileSystem confFolder() {
        return new FileSystem() {
            @Override
            public InputStream getResource(String url) throws IOException {
                return Files.newInputStream(getFile(url).toPath());
            }

            @Override
            public File getFile(String fileURL) throws FileNotFoundException {
                if (!fileURL.startsWith(FILE_PROTOCOL_AND_CONF)) {
                    throw new FileNotFoundException(fileURL);
                }
                return conf.resolve(fileURL.substring(FILE_PROTOCOL_AND_CONF.length())).toFile();
            }

            @Override
            public File getBasedir() {
                return conf.toFile();
            }
        };
    }
}
