/**
 * Submission credentials for SMTP AUTH, shared by every node through Cassandra.
 *
 * <p>{@link org.dispatchmail.core.submission.SubmissionUsers} adds, changes and removes logins and checks them for
 * PLAIN and LOGIN ({@code checkPassword}), CRAM-MD5 (RFC 2195, {@link org.dispatchmail.core.submission.CramMd5Exchange})
 * and SCRAM-SHA-256 (RFC 5802 and RFC 7677, {@link org.dispatchmail.core.submission.ScramSha256Exchange}).
 * No password is stored: {@link org.dispatchmail.core.submission.Credentials} keeps a PBKDF2-HMAC-SHA256 hash, the
 * HMAC-MD5 state after the key blocks (the form Dovecot stores for CRAM-MD5) and the SCRAM StoredKey and ServerKey.
 * An unknown login costs the same work and fails the same way as a wrong password.
 * {@link org.dispatchmail.core.submission.AuthThrottle} blocks client addresses after repeated failures.
 */
package org.dispatchmail.core.submission;
