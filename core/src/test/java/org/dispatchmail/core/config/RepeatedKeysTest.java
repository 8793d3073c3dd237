package org.dispatchmail.core.config;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class RepeatedKeysTest {
    @Test
    void aKeyGivenTwiceIsNamedWithBothLines() {
        List<String> lines = List.of("# limits", "submission.maxMessagesPerHour=1000", "", "a = b",
            "submission.maxMessagesPerHour: 0");

        assertThatThrownBy(() -> RepeatedKeys.check("dispatch.properties", lines))
            .isInstanceOf(ConfigException.class)
            .hasMessage("dispatch.properties: submission.maxMessagesPerHour is given twice, on lines 2 and 5;"
                + " keep one of them");
    }

    @Test
    void commasContinuationLinesAndCommentsAreNotRepeats() {
        List<String> lines = List.of("retry.schedule=1m,5m,\\", "  30m", "# retry.schedule=1h", "! retry.schedule=2h",
            "queue.shards 64");

        assertThatCode(() -> RepeatedKeys.check("dispatch.properties", lines)).doesNotThrowAnyException();
    }

    @Test
    void aKeyRepeatedAfterAContinuedValueReportsTheLineItStartsOn() {
        List<String> lines = List.of("x=1,\\", "2", "x=3");

        assertThatThrownBy(() -> RepeatedKeys.check("f", lines))
            .hasMessage("f: x is given twice, on lines 1 and 3; keep one of them");
    }
}
