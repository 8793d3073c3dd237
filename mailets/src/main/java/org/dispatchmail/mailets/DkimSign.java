package org.dispatchmail.mailets;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import javax.inject.Inject;
import javax.mail.Address;
import javax.mail.MessagingException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.dispatchmail.core.dkim.SigningKey;
import org.dispatchmail.core.dkim.DkimKeys;
import org.dispatchmail.core.dkim.DkimSigner;
import org.dispatchmail.core.dkim.SigningPolicy;
import org.dispatchmail.core.routing.DomainNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs mail for the domain of its From: header with every active key of that domain (RSA and
 * Ed25519 by default), but only mail the signing policy grants (core SigningPolicy): submitted by a
 * login checked against its From:, Dispatch's own reports, or marked signable by the admin. Anything
 * else, such as mail from port 25 forwarded by an alias, passes unsigned whatever its From: says.
 * A granted domain without keys is passed on unsigned with a log line, unless dkim.requiredDomains
 * names it: then the mailet fails and James keeps the mail in its error processor. Put it right
 * before Dispatch: nothing may change the message after it.
 */
public class DkimSign extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(DkimSign.class);

    private final Supplier<DkimKeys> dkimKeys;
    private final DkimSigner signer;
    private DkimKeys keys;

    /** {@code dkimKeys} fails, naming the parameter, when dkim.masterKeyFile is not set: then so does init. */
    @Inject
    public DkimSign(Supplier<DkimKeys> dkimKeys, DkimSigner signer) {
        this.dkimKeys = dkimKeys;
        this.signer = signer;
    }

    @Override
    public void init() {
        keys = dkimKeys.get();
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        SigningPolicy.Decision decision = SigningPolicy.decide(SigningFacts.of(mail));
        if (!decision.allowed()) {
            LOGGER.info("mail {} is not DKIM-signed: {}", mail.getName(), decision.reason());
            return;
        }
        MimeMessage message = mail.getMessage();
        Optional<String> domain = authorDomain(message);
        if (domain.isEmpty()) {
            LOGGER.warn("mail {} has no usable From: address; not DKIM-signed", mail.getName());
            return;
        }
        List<SigningKey> signingKeys = keys.signingKeys(domain.get());
        if (signingKeys.isEmpty()) {
            if (keys.signatureRequired(domain.get())) {
                throw new MessagingException("DKIM signature required for " + domain.get()
                    + " (dkim.requiredDomains) but it has no active key; the mail is kept, not sent unsigned");
            }
            LOGGER.info("no active DKIM key for {}: mail {} goes out unsigned", domain.get(), mail.getName());
            return;
        }
        for (String field : signatures(mail, signingKeys)) {
            // DKIM-Signature fields may stand anywhere in the header; javax.mail can only append.
            message.addHeaderLine(field.endsWith("\r\n") ? field.substring(0, field.length() - 2) : field);
        }
    }

    /** The body is hashed as it is read from James's spool: a large message is never copied whole. */
    private List<String> signatures(Mail mail, List<SigningKey> signingKeys) throws MessagingException {
        try (InputStream message = MailContent.of(mail).open()) {
            return signer.sign(message, signingKeys);
        } catch (IOException e) {
            throw new MessagingException("cannot read " + mail.getName() + " to sign it: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            // a header block over 1 MiB, say: kept for the admin rather than sent unsigned
            throw new MessagingException("cannot sign " + mail.getName() + ": " + e.getMessage(), e);
        }
    }

    private static Optional<String> authorDomain(MimeMessage message) {
        try {
            Address[] from = message.getFrom();
            if (from == null || from.length == 0 || !(from[0] instanceof InternetAddress)) {
                return Optional.empty();
            }
            String address = ((InternetAddress) from[0]).getAddress();
            return address == null || address.indexOf('@') < 0 ? Optional.empty()
                : Optional.of(DomainNames.domainOf(address));
        } catch (MessagingException e) {
            return Optional.empty();
        }
    }


    @Override
    public String getMailetInfo() {
        return "DkimSign: DKIM signatures for the author's domain (RSA and Ed25519)";
    }
}
