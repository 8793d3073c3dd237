package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SmtpReplyTest {

    @Test
    void parsesASingleLineReply() {
        SmtpReply reply = SmtpReply.parse(List.of("250 2.1.0 Ok"));

        assertThat(reply.code()).isEqualTo(250);
        assertThat(reply.enhancedCode()).isEqualTo("2.1.0");
        assertThat(reply.lines()).containsExactly("2.1.0 Ok");
        assertThat(reply.text()).isEqualTo("Ok");
        assertThat(reply.isPositive()).isTrue();
        assertThat(reply.isTransient()).isFalse();
        assertThat(reply.isPermanent()).isFalse();
        assertThat(reply).hasToString("250 2.1.0 Ok");
    }

    @Test
    void joinsMultiLineRepliesAndStripsTheEnhancedCodeFromEachLine() {
        SmtpReply reply = SmtpReply.parse(List.of(
                "450-4.2.0 Greylisted, see",
                "450 4.2.0 http://postgrey.example/"));

        assertThat(reply.code()).isEqualTo(450);
        assertThat(reply.enhancedCode()).isEqualTo("4.2.0");
        assertThat(reply.lines()).containsExactly("4.2.0 Greylisted, see", "4.2.0 http://postgrey.example/");
        assertThat(reply.text()).isEqualTo("Greylisted, see http://postgrey.example/");
        assertThat(reply.isTransient()).isTrue();
        assertThat(reply).hasToString("450 4.2.0 Greylisted, see http://postgrey.example/");
    }

    @Test
    void ehloReplyKeepsEachExtensionLine() {
        SmtpReply reply = SmtpReply.parse(List.of("250-mx.example.com", "250-SIZE 1000", "250 STARTTLS"));

        assertThat(reply.enhancedCode()).isNull();
        assertThat(reply.lines()).containsExactly("mx.example.com", "SIZE 1000", "STARTTLS");
        assertThat(reply.text()).isEqualTo("mx.example.com SIZE 1000 STARTTLS");
    }

    @Test
    void replyWithoutTextIsAccepted() {
        SmtpReply reply = SmtpReply.parse(List.of("354"));

        assertThat(reply.code()).isEqualTo(354);
        assertThat(reply.text()).isEmpty();
        assertThat(reply.isPositive()).isFalse();
        assertThat(reply).hasToString("354");
    }

    @Test
    void permanentReplyWithoutEnhancedCode() {
        SmtpReply reply = SmtpReply.parse(List.of("550 no such user here"));

        assertThat(reply.isPermanent()).isTrue();
        assertThat(reply.enhancedCode()).isNull();
        assertThat(reply.text()).isEqualTo("no such user here");
    }

    @Test
    void enhancedCodeOfAnotherClassThanTheReplyIsNotTrusted() {
        SmtpReply reply = SmtpReply.parse(List.of("250 5.1.1 odd"));

        assertThat(reply.enhancedCode()).isNull();
        assertThat(reply.text()).isEqualTo("5.1.1 odd");
    }

    @Test
    void versionNumbersAreNotMistakenForEnhancedCodes() {
        assertThat(SmtpReply.parse(List.of("220 4.2.0.1 server")).enhancedCode()).isNull();
        assertThat(SmtpReply.parse(List.of("550 5.1.10")).enhancedCode()).isEqualTo("5.1.10");
    }

    @Test
    void rejectsMalformedReplies() {
        assertThatThrownBy(() -> SmtpReply.parse(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmtpReply.parse(List.of("25"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmtpReply.parse(List.of("abc hello"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmtpReply.parse(List.of("250-a", "251 b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("disagree");
        assertThatThrownBy(() -> SmtpReply.parse(List.of("250 a", "250 b")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmtpReply.parse(List.of("250-last")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
