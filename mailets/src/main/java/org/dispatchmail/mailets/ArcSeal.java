package org.dispatchmail.mailets;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.Header;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.dispatchmail.core.dkim.ArcSealing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals forwarded mail with ARC (RFC 8617) for the domain set in dispatch.properties (arc.domain): verifies the DKIM
 * signatures the message came with, records the results and seals with that domain's active RSA key. Without
 * arc.domain it does nothing; a message it cannot seal goes on unsealed with a log line. Put it before DkimSign and
 * Dispatch: nothing may change the message after it.
 */
public class ArcSeal extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(ArcSeal.class);

    private final Optional<ArcSealing> sealing;

    /** Empty when arc.domain is not set. */
    @Inject
    public ArcSeal(Optional<ArcSealing> sealing) {
        this.sealing = sealing;
    }

    @Override
    public void init() {
        if (sealing.isEmpty()) {
            LOGGER.info("ARC sealing is off (arc.domain is empty in dispatch.properties): forwarded mail leaves unsealed");
        } else {
            LOGGER.info("ARC sealing of forwarded mail with the DKIM keys of {}", sealing.get().domain());
        }
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        if (sealing.isEmpty()) {
            return;
        }
        MimeMessage message = mail.getMessage();
        ArcSealing.Outcome outcome = sealing.get().seal(MessageBytes.of(mail));
        if (!outcome.isSealed()) {
            LOGGER.info("mail {} leaves without an ARC seal: {}", mail.getName(), outcome.summary());
            return;
        }
        prepend(message, outcome.fields());
        LOGGER.info("mail {} ARC-sealed by {}: {}", mail.getName(), sealing.get().domain(), outcome.summary());
    }

    /**
     * Puts the fields on top of the header. javax.mail can only append, so the header is rebuilt: every field taken
     * out, the new ones added, then the old ones again in their order and with their exact text (the raw lines, so
     * folding and the bytes that DKIM signatures cover do not change).
     */
    static void prepend(MimeMessage message, List<String> fields) throws MessagingException {
        List<String> existing = Collections.list(message.getAllHeaderLines());
        Set<String> names = new LinkedHashSet<>();
        for (Header header : Collections.list(message.getAllHeaders())) {
            names.add(header.getName());
        }
        for (String name : names) {
            message.removeHeader(name);
        }
        for (String field : fields) {
            message.addHeaderLine(field.endsWith("\r\n") ? field.substring(0, field.length() - 2) : field);
        }
        for (String line : existing) {
            message.addHeaderLine(line);
        }
    }


    @Override
    public String getMailetInfo() {
        return "ArcSeal: ARC seal (RFC 8617) of forwarded mail, with the DKIM results seen on arrival";
    }
}
