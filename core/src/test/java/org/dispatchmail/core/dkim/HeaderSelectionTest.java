package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class HeaderSelectionTest {

    @Test
    void repeatedNamesTakeInstancesFromTheBottomUpAndExtraNamesTakeNothing() {
        MessageParts parts = parts("A: 1\r\nB: 2\r\nA: 3\r\n\r\n");

        List<HeaderField> selected = HeaderSelection.select(parts.headers(), List.of("a", "a", "a", "b", "c"));

        assertThat(selected.stream().map(HeaderField::text).collect(Collectors.toList()))
                .containsExactly("A: 3", "A: 1", "B: 2");
    }

    @Test
    void everyPresentNameIsListedOnceMoreThanItOccurs() {
        MessageParts parts = parts("Received: x\r\nFrom: a@example.com\r\nTo: b@example.com\r\nTo: c@example.com\r\n"
                + "Subject: hi\r\nX-Other: y\r\n\r\nbody\r\n");

        List<String> names = HeaderSelection.overSigned(parts, DkimSigner.SIGNED_HEADERS);

        assertThat(names).containsExactly("from", "to", "to", "subject", "from", "to", "subject");
    }

    private static MessageParts parts(String message) {
        return MessageParts.split(message.getBytes(StandardCharsets.US_ASCII));
    }
}
