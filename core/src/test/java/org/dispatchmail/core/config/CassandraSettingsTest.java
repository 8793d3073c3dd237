package org.dispatchmail.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;

class CassandraSettingsTest {
    private static CassandraSettings settings(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        values.put("cassandra.contactPoints", "127.0.0.1:9042");
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return CassandraSettings.from(new ConfigReader("dispatch.properties", values));
    }

    @Test
    void defaultsAreASingleDatacenterAtLocalQuorum() {
        CassandraSettings settings = settings();
        assertThat(settings.keyspace()).isEqualTo("dispatch");
        assertThat(settings.localDatacenter()).isEqualTo("datacenter1");
        assertThat(settings.consistency()).isEqualTo(DefaultConsistencyLevel.LOCAL_QUORUM);
        assertThat(settings.serialConsistency()).isEqualTo(DefaultConsistencyLevel.LOCAL_SERIAL);
        assertThat(settings.replicationCql()).isEqualTo("{'class': 'SimpleStrategy', 'replication_factor': 1}");
        assertThat(settings.username()).isEmpty();
    }

    @Test
    void contactPointsAcceptHostPortIpv6AndBareHosts() {
        assertThat(settings("cassandra.contactPoints", "db1.example.com:9142, [::1]:9043, db2").contactPoints())
            .containsExactly(InetSocketAddress.createUnresolved("db1.example.com", 9142),
                InetSocketAddress.createUnresolved("::1", 9043),
                InetSocketAddress.createUnresolved("db2", 9042));
    }

    @Test
    void perDatacenterReplicationUsesNetworkTopologyStrategy() {
        assertThat(settings("cassandra.replication", "dc1:3, dc2:2").replicationCql())
            .isEqualTo("{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}");
    }

    @Test
    void badValuesNameTheParameter() {
        assertThatThrownBy(() -> settings("cassandra.contactPoints", ""))
            .hasMessageStartingWith("dispatch.properties: cassandra.contactPoints is required");
        assertThatThrownBy(() -> settings("cassandra.contactPoints", "db:port"))
            .hasMessage("dispatch.properties: cassandra.contactPoints 'db:port': 'port' is not a port number");
        assertThatThrownBy(() -> settings("cassandra.keyspace", "drop table"))
            .hasMessageStartingWith("dispatch.properties: cassandra.keyspace 'drop table' is not a valid keyspace name");
        assertThatThrownBy(() -> settings("cassandra.consistency", "MOST"))
            .hasMessageStartingWith("dispatch.properties: cassandra.consistency 'MOST' is not one of");
        assertThatThrownBy(() -> settings("cassandra.serialConsistency", "QUORUM"))
            .hasMessage("dispatch.properties: cassandra.serialConsistency must be SERIAL or LOCAL_SERIAL");
        assertThatThrownBy(() -> settings("cassandra.username", "dispatch"))
            .hasMessageStartingWith("dispatch.properties: cassandra.password is required");
        assertThatThrownBy(() -> settings("cassandra.replication", "dc1=3"))
            .hasMessage("dispatch.properties: cassandra.replication 'dc1=3' is not datacenter:factor");
        assertThatThrownBy(() -> settings("cassandra.tls.truststore", "/nonexistent/truststore.p12"))
            .hasMessageStartingWith("dispatch.properties: cassandra.tls.truststore '/nonexistent/truststore.p12' is not a readable file");
    }

    @Test
    void thePasswordCanComeFromAnOwnerOnlyFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cassandra-password");
        SecretFile.create(file, "correct horse\n");

        CassandraSettings settings = settings("cassandra.username", "dispatch", "cassandra.passwordFile", file.toString());
        assertThat(settings.username()).contains("dispatch");
        assertThat(settings.password()).contains("correct horse");

        assertThatThrownBy(() -> settings("cassandra.username", "dispatch", "cassandra.passwordFile", file.toString(),
            "cassandra.password", "other"))
            .hasMessage("dispatch.properties: cassandra.passwordFile and cassandra.password are both set: keep one");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> settings("cassandra.username", "dispatch", "cassandra.passwordFile", file.toString()))
            .hasMessageStartingWith("dispatch.properties: cassandra.passwordFile " + file + " holds a secret")
            .hasMessageEndingWith("run chmod 600 " + file);
        assertThatThrownBy(() -> settings("cassandra.username", "dispatch", "cassandra.passwordFile",
            dir.resolve("absent").toString()))
            .hasMessageStartingWith("dispatch.properties: cassandra.passwordFile cannot read " + dir.resolve("absent"));
    }
}
