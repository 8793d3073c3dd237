/**
 * DKIM signing (RFC 6376) with rsa-sha256 and ed25519-sha256 (RFC 8463), relaxed/relaxed, on Java 11; DKIM
 * verification of incoming mail ({@link org.dispatchmail.core.dkim.DkimVerifier}, simple and relaxed, l=); and ARC
 * (RFC 8617) chain validation and sealing ({@link org.dispatchmail.core.dkim.ArcSealer}), which reuse the same
 * canonicalization, header selection and signing code.
 *
 * <p>{@link org.dispatchmail.core.dkim.DkimSigner} signs RFC 5322 bytes, from an array or a stream, with one or more
 * {@link org.dispatchmail.core.dkim.SigningKey}s, hashing the body as it is read so that its size does not matter;
 * {@link org.dispatchmail.core.dkim.DkimKeyGenerator} makes keys and {@link org.dispatchmail.core.dkim.DnsRecord}
 * says what to publish in DNS and whether DNS publishes it. Ed25519 goes through BouncyCastle's lightweight API
 * because the JDK has it only from Java 15.
 */
package org.dispatchmail.core.dkim;
