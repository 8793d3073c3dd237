package org.dispatchmail.core.secrets;

import java.security.SecureRandom;
import java.time.Clock;

class InMemoryClusterSecretsTest extends ClusterSecretsContract {
    private final InMemoryClusterSecrets shared = new InMemoryClusterSecrets(Clock.systemUTC(), new SecureRandom());

    @Override
    protected ClusterSecrets node() {
        return shared;
    }

    @Override
    protected ClusterSecrets otherNode() {
        return shared;
    }
}
