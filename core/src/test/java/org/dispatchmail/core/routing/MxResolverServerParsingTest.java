package org.dispatchmail.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class MxResolverServerParsingTest {

    @Test
    void parsesAddressesWithAndWithoutPort() throws Exception {
        assertThat(MxResolver.parseServer("127.0.0.53:5353"))
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("127.0.0.53"), 5353));
        assertThat(MxResolver.parseServer("10.0.0.1"))
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 53));
        assertThat(MxResolver.parseServer("[::1]:53"))
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("::1"), 53));
        assertThat(MxResolver.parseServer("[2001:db8::1]"))
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 53));
        assertThat(MxResolver.parseServer("2001:db8::1"))
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 53));
        assertThat(MxResolver.parseServer(" localhost:5300 ").getPort()).isEqualTo(5300);
    }

    @Test
    void rejectsBadInputWithAClearMessage() {
        assertThatThrownBy(() -> MxResolver.parseServer(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> MxResolver.parseServer("10.0.0.1:dns"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port must be 1-65535");
        assertThatThrownBy(() -> MxResolver.parseServer("10.0.0.1:70000"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
        assertThatThrownBy(() -> MxResolver.parseServer("10.0.0.1:"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
        assertThatThrownBy(() -> MxResolver.parseServer("[::1:53"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("']'");
        assertThatThrownBy(() -> MxResolver.parseServer("[::1]53"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("':port'");
        assertThatThrownBy(() -> MxResolver.parseServer("300.1.1.1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid IPv4");
        assertThatThrownBy(() -> MxResolver.parseServer("dns server"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an IP address");
    }

    @Test
    void constructorRejectsBadServersAndTimeouts() {
        assertThatThrownBy(() -> new MxResolver(List.of("1.2.3.4:0"), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MxResolver(List.of(), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
