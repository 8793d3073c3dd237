package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.junit.jupiter.api.Test;

class ArcSealPrependTest {
    private static final String ORIGINAL = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1;\r\n"
        + "\th=from:subject; bh=abc=; b=def\r\n"
        + "From: Alice <alice@example.com>\r\n"
        + "Received: from a\r\n"
        + "Subject:   spaced  \r\n"
        + "Received: from b\r\n"
        + "\r\n"
        + "Body line\r\n";

    @Test
    void theFieldsGoOnTopAndTheRestKeepsItsOrderAndExactText() throws Exception {
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()),
            new ByteArrayInputStream(ORIGINAL.getBytes(StandardCharsets.US_ASCII)));

        ArcSeal.prepend(message, List.of("ARC-Seal: i=1; cv=none;\r\n b=xyz\r\n", "ARC-Message-Signature: i=1\r\n",
            "ARC-Authentication-Results: i=1; mx.example; dkim=pass\r\n"));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        message.writeTo(out);
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("ARC-Seal: i=1; cv=none;\r\n b=xyz\r\n"
            + "ARC-Message-Signature: i=1\r\n"
            + "ARC-Authentication-Results: i=1; mx.example; dkim=pass\r\n"
            + ORIGINAL);
    }
}
