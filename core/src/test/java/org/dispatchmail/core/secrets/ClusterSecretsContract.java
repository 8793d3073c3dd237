package org.dispatchmail.core.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/** What every ClusterSecrets must do; run against the in-memory one here and Cassandra in the integration tests. */
public abstract class ClusterSecretsContract {
    /** Two views of one shared store, as two nodes would see it. */
    protected abstract ClusterSecrets node();

    protected abstract ClusterSecrets otherNode();

    private final String name = "test-" + UUID.randomUUID();

    @Test
    void theFirstReadCreatesVersionOneAndEveryNodeSeesTheSameBytes() {
        Secret first = node().current(name);
        assertThat(first.version()).isEqualTo(1);
        assertThat(first.key()).hasSize(Secret.LENGTH);
        assertThat(otherNode().current(name)).isEqualTo(first);
        assertThat(node().current(name)).isEqualTo(first);
    }

    @Test
    void rotationMakesANewCurrentVersionAndKeepsTheOldOne() {
        Secret first = node().current(name);
        Secret second = otherNode().rotate(name);
        assertThat(second.version()).isEqualTo(2);
        assertThat(second.key()).isNotEqualTo(first.key());
        assertThat(node().current(name)).isEqualTo(second);
        assertThat(node().all(name)).containsExactly(second, first);
    }

    @Test
    void retireKeepsTheNewestVersions() {
        node().current(name);
        node().rotate(name);
        Secret third = node().rotate(name);
        assertThat(node().retire(name, 1)).isEqualTo(2);
        assertThat(otherNode().all(name)).containsExactly(third);
        assertThatThrownBy(() -> node().retire(name, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void secretsOfDifferentNamesAreIndependent() {
        Secret a = node().current(name);
        Secret b = node().current(name + "-other");
        assertThat(a.key()).isNotEqualTo(b.key());
        List<Secret> all = node().all(name);
        assertThat(all).containsExactly(a);
    }

    @Test
    void toStringNeverShowsTheKey() {
        Secret secret = node().current(name);
        assertThat(secret.toString()).doesNotContain(java.util.Base64.getEncoder().encodeToString(secret.key()));
    }
}
