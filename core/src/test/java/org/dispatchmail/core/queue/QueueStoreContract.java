package org.dispatchmail.core.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.delivery.DsnNotify;
import org.dispatchmail.core.delivery.DsnRet;
import org.dispatchmail.core.delivery.MessageDsn;
import org.dispatchmail.core.delivery.RecipientDsn;
import org.dispatchmail.core.dsn.DsnAction;
import org.junit.jupiter.api.Test;

/**
 * What every queue store must do, run against each of them: the Cassandra store (an integration test)
 * and the in-memory double the worker's unit tests use, so the double cannot drift from the real thing.
 */
public abstract class QueueStoreContract {
    protected static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

    /** The store under test; messages get unique names, so one store may serve every test. */
    protected abstract QueueStore store();

    private static NewMessage message(String name, byte[] content, String... recipients) {
        return new NewMessage(name, "alice@example.com", List.of(recipients), content);
    }

    @Test
    void eachRecipientIsPendingAndDueAtEnqueueTime() {
        UUID id = store().enqueue(message("due-" + UUID.randomUUID(), "x".getBytes(), "a@one.test", "b@two.test"), T0);

        assertThat(store().recipients(id)).extracting(RecipientRecord::state)
            .containsOnly(RecipientState.PENDING);
        List<DueEntry> due = store().dueEntries(store().shardOf(id), store().bucketOf(T0), T0, 1000);
        assertThat(due).filteredOn(entry -> entry.messageId().equals(id))
            .extracting(DueEntry::recipient).containsExactlyInAnyOrder("a@one.test", "b@two.test");
    }


    @Test
    void aRepeatedHandOverOfTheSameMailNeverResetsARecipient() {
        String name = "repeat-" + UUID.randomUUID();
        UUID id = store().enqueue(message(name, "first".getBytes(), "bob@remote.test"), T0);
        RecipientRecord pending = store().recipient(id, "bob@remote.test").orElseThrow();
        assertThat(store().claim(pending, "node-a", T0.plusSeconds(900))).isTrue();
        assertThat(store().complete(delivered(id, "node-a", tokenOf(id, "bob@remote.test")), done(id))).isTrue();

        UUID again = store().enqueue(message(name, "first".getBytes(), "bob@remote.test"), T0.plusSeconds(5));

        assertThat(again).isEqualTo(id);
        assertThat(store().recipient(id, "bob@remote.test").orElseThrow().state()).isEqualTo(RecipientState.DELIVERED);
    }


    @Test
    void onlyOneOfTwoNodesWinsAClaimAndALapsedClaimCanBeTakenOver() {
        UUID id = store().enqueue(message("claim-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        RecipientRecord seen = store().recipient(id, "bob@remote.test").orElseThrow();

        assertThat(store().claim(seen, "node-a", T0.plusSeconds(900))).isTrue();
        assertThat(store().claim(seen, "node-b", T0.plusSeconds(900))).isFalse();
        UUID tokenA = tokenOf(id, "bob@remote.test");

        RecipientRecord inFlight = store().recipient(id, "bob@remote.test").orElseThrow();
        assertThat(inFlight.state()).isEqualTo(RecipientState.IN_FLIGHT);
        assertThat(inFlight.claimedBy()).contains("node-a");
        assertThat(inFlight.claimableAt(T0.plusSeconds(60))).isFalse();
        // node-a died: once its claim runs out the recipient is due again, under the claim's own index entry
        Instant lapsed = T0.plusSeconds(901);
        assertThat(inFlight.claimableAt(lapsed)).isTrue();
        assertThat(store().dueEntries(store().shardOf(id), store().bucketOf(T0.plusSeconds(900)), lapsed, 1000))
            .anyMatch(entry -> entry.messageId().equals(id));
        assertThat(store().claim(inFlight, "node-b", lapsed.plusSeconds(900))).isTrue();
        // node-a comes back late: its outcome no longer overwrites node-b's claim
        assertThat(store().complete(delivered(id, "node-a", tokenA), done(id))).isFalse();
        assertThat(store().recipient(id, "bob@remote.test").orElseThrow().claimedBy()).contains("node-b");
    }


    @Test
    void theRecipientsOfAMessageAreClaimedTogetherExceptOneAnotherNodeTookFirst() {
        UUID id = store().enqueue(message("claim-all-" + UUID.randomUUID(), "x".getBytes(), "a@remote.test",
            "b@remote.test", "c@remote.test"), T0);
        List<RecipientRecord> seen = store().recipients(id);
        RecipientRecord b = store().recipient(id, "b@remote.test").orElseThrow();
        assertThat(store().claim(b, "node-b", T0.plusSeconds(900))).isTrue();

        Instant lookAgain = T0.plusSeconds(30);
        List<RecipientRecord> taken = store().claim(seen, "node-a", T0.plusSeconds(900), lookAgain);

        assertThat(taken).extracting(RecipientRecord::recipient).containsExactlyInAnyOrder("a@remote.test",
            "c@remote.test");
        assertThat(store().recipient(id, "a@remote.test").orElseThrow().claimedBy()).contains("node-a");
        assertThat(store().recipient(id, "b@remote.test").orElseThrow().claimedBy()).contains("node-b");
        assertThat(store().recipient(id, "c@remote.test").orElseThrow().claimedBy()).contains("node-a");
        // each is looked at again at lookAgain, so a node that dies mid-attempt loses nothing
        assertThat(store().dueEntries(store().shardOf(id), store().bucketOf(lookAgain), lookAgain, 1000))
            .filteredOn(entry -> entry.messageId().equals(id) && entry.dueAt().equals(lookAgain))
            .extracting(DueEntry::recipient)
            .contains("a@remote.test", "b@remote.test", "c@remote.test");

        // all still as seen now: one claim for all of them
        UUID other = store().enqueue(message("claim-all-" + UUID.randomUUID(), "x".getBytes(), "a@remote.test",
            "b@remote.test"), T0);
        assertThat(store().claim(store().recipients(other), "node-a", T0.plusSeconds(900), lookAgain)).hasSize(2);
        assertThat(store().recipients(other)).extracting(RecipientRecord::state).containsOnly(RecipientState.IN_FLIGHT);
    }


    @Test
    void completingSeveralRecipientsWritesThoseStillClaimedAndNamesTheLostOnes() {
        UUID id = store().enqueue(message("complete-all-" + UUID.randomUUID(), "x".getBytes(), "a@remote.test",
            "b@remote.test"), T0);
        List<RecipientRecord> claimed = store().claim(store().recipients(id), "node-a", T0.plusSeconds(900),
            T0.plusSeconds(30));
        assertThat(claimed).hasSize(2).allSatisfy(record -> {
            assertThat(record.state()).isEqualTo(RecipientState.IN_FLIGHT);
            assertThat(record.claimedBy()).contains("node-a");
            assertThat(record.claimToken()).isPresent();
        });
        UUID tokenA = claimed.get(0).claimToken().orElseThrow();
        // node-a was thought dead: node-b took b over
        RecipientRecord b = store().recipient(id, "b@remote.test").orElseThrow();
        assertThat(store().claim(b, "node-b", T0.plusSeconds(1800))).isTrue();

        List<AttemptRecord> attempts = List.of(deliveredTo(id, "a@remote.test", tokenA),
            deliveredTo(id, "b@remote.test", tokenA));
        List<RecipientRecord> updated = List.of(doneFor(id, "a@remote.test"), doneFor(id, "b@remote.test"));
        assertThat(store().complete(attempts, updated)).containsExactly("b@remote.test");

        assertThat(store().recipient(id, "a@remote.test").orElseThrow().state()).isEqualTo(RecipientState.DELIVERED);
        assertThat(store().recipient(id, "b@remote.test").orElseThrow().claimedBy()).contains("node-b");
        assertThat(store().attempts(id, "a@remote.test")).hasSize(1);

        // both claimed by node-a: both written in one go
        UUID next = store().enqueue(message("complete-all-" + UUID.randomUUID(), "x".getBytes(), "a@remote.test",
            "b@remote.test"), T0);
        UUID tokenNext = store().claim(store().recipients(next), "node-a", T0.plusSeconds(900), T0.plusSeconds(30))
            .get(0).claimToken().orElseThrow();
        assertThat(store().complete(List.of(deliveredTo(next, "a@remote.test", tokenNext),
            deliveredTo(next, "b@remote.test", tokenNext)),
            List.of(doneFor(next, "a@remote.test"), doneFor(next, "b@remote.test")))).isEmpty();
        assertThat(store().recipients(next)).extracting(RecipientRecord::state).containsOnly(RecipientState.DELIVERED);
    }

    @Test
    void aDeferredRecipientIsIndexedAtItsNextAttempt() {
        UUID id = store().enqueue(message("defer-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        assertThat(store().claim(store().recipient(id, "bob@remote.test").orElseThrow(), "node-a",
            T0.plusSeconds(900))).isTrue();
        Instant next = T0.plus(Duration.ofMinutes(5));
        RecipientOutcome busy = RecipientOutcome.fromReply("bob@remote.test", "mx.remote.test", "192.0.2.1", AttemptStage.RCPT,
            SmtpReply.parse(List.of("451 4.3.0 try later")));
        RecipientRecord updated = store().recipient(id, "bob@remote.test").orElseThrow().toBuilder()
            .state(RecipientState.DEFERRED).attempts(1).nextAttemptAt(next).unclaimed()
            .lastResult(Optional.of(busy.describe())).greylistAttempts(1).firstGreylistedAt(Optional.of(T0))
            .lastGreylistedAt(Optional.of(T0)).build();
        assertThat(store().complete(new AttemptRecord(id, "node-a", tokenOf(id, "bob@remote.test"), T0.plusSeconds(2),
            busy, RecipientState.DEFERRED,
            Optional.of(next)), updated)).isTrue();

        RecipientRecord deferred = store().recipient(id, "bob@remote.test").orElseThrow();
        assertThat(deferred.state()).isEqualTo(RecipientState.DEFERRED);
        assertThat(deferred.nextAttemptAt()).isEqualTo(next);
        assertThat(deferred.lastResult()).hasValueSatisfying(text -> assertThat(text).contains("451"));
        assertThat(deferred.greylistAttempts()).isEqualTo(1);
        assertThat(deferred.firstGreylistedAt()).contains(T0);
        assertThat(store().attempts(id, "bob@remote.test")).singleElement().satisfies(attempt -> {
            assertThat(attempt.replyCode()).contains(451);
            assertThat(attempt.enhancedCode()).contains("4.3.0");
            assertThat(attempt.decision()).isEqualTo("DEFERRED");
            assertThat(attempt.nextAttemptAt()).contains(next);
        });
        assertThat(store().dueEntries(store().shardOf(id), store().bucketOf(next), next, 1000))
            .anyMatch(entry -> entry.messageId().equals(id) && entry.dueAt().equals(next));
    }


    @Test
    void anOutcomeUnderAStaleClaimTokenIsRefusedEvenFromTheSameNode() {
        UUID id = store().enqueue(message("token-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        RecipientRecord first = store().claim(List.of(store().recipient(id, "bob@remote.test").orElseThrow()),
            "node-a", T0.plusSeconds(60), T0.plusSeconds(60)).get(0);
        // the first attempt hangs past its claim; the same node claims the recipient again for a new attempt
        RecipientRecord second = store().claim(List.of(store().recipient(id, "bob@remote.test").orElseThrow()),
            "node-a", T0.plusSeconds(200), T0.plusSeconds(200)).get(0);
        assertThat(second.claimToken()).isPresent().isNotEqualTo(first.claimToken());

        assertThat(store().complete(delivered(id, "node-a", first.claimToken().orElseThrow()), done(id)))
            .as("the stale attempt writes nothing").isFalse();
        RecipientRecord now = store().recipient(id, "bob@remote.test").orElseThrow();
        assertThat(now.state()).isEqualTo(RecipientState.IN_FLIGHT);
        assertThat(now.claimToken()).isEqualTo(second.claimToken());
        assertThat(store().renew(List.of(first), T0.plusSeconds(900))).as("nor renews")
            .containsExactly("bob@remote.test");
        assertThat(store().recipient(id, "bob@remote.test").orElseThrow().claimUntil()).contains(T0.plusSeconds(200));

        assertThat(store().complete(delivered(id, "node-a", second.claimToken().orElseThrow()), done(id))).isTrue();
        RecipientRecord delivered = store().recipient(id, "bob@remote.test").orElseThrow();
        assertThat(delivered.state()).isEqualTo(RecipientState.DELIVERED);
        assertThat(delivered.claimToken()).isEmpty();
        assertThat(delivered.claimedBy()).isEmpty();
    }

    @Test
    void aClaimIsRenewedUnderItsTokenAndIndexedAtItsNewEnd() {
        UUID id = store().enqueue(message("renew-" + UUID.randomUUID(), "x".getBytes(), "a@remote.test",
            "b@remote.test"), T0);
        List<RecipientRecord> claimed = store().claim(store().recipients(id), "node-a", T0.plusSeconds(60),
            T0.plusSeconds(30));
        Instant later = T0.plusSeconds(100);

        assertThat(store().renew(claimed, later)).isEmpty();

        assertThat(store().recipients(id)).allSatisfy(record -> {
            assertThat(record.claimUntil()).contains(later);
            assertThat(record.claimToken()).isEqualTo(claimed.get(0).claimToken());
            assertThat(record.claimableAt(T0.plusSeconds(61))).isFalse();
        });
        assertThat(store().dueEntries(store().shardOf(id), store().bucketOf(later), later, 1000))
            .filteredOn(entry -> entry.messageId().equals(id) && entry.dueAt().equals(later))
            .extracting(DueEntry::recipient).containsExactlyInAnyOrder("a@remote.test", "b@remote.test");

        // b's claim was taken over after it ran out: renewing both keeps a and names b as lost
        RecipientRecord b = store().recipient(id, "b@remote.test").orElseThrow();
        assertThat(store().claim(b, "node-b", T0.plusSeconds(900))).isTrue();
        assertThat(store().renew(claimed, T0.plusSeconds(160))).containsExactly("b@remote.test");
        assertThat(store().recipient(id, "a@remote.test").orElseThrow().claimUntil()).contains(T0.plusSeconds(160));
        assertThat(store().recipient(id, "b@remote.test").orElseThrow().claimedBy()).contains("node-b");
        assertThat(store().recipient(id, "b@remote.test").orElseThrow().claimUntil()).contains(T0.plusSeconds(900));
    }

    @Test
    void aRepeatedHandOverWithOtherContentKeepsTheFirstContentWhole() throws Exception {
        String name = "content-" + UUID.randomUUID();
        byte[] first = "Subject: first\r\n\r\nshort\r\n".getBytes();
        UUID id = store().enqueue(message(name, first, "bob@remote.test"), T0);
        // larger than a chunk: a store that wrote it under the first row's size and chunk count would cut it
        byte[] larger = new byte[600 * 1024];
        new Random(7).nextBytes(larger);

        assertThat(store().enqueue(message(name, larger, "bob@remote.test"), T0.plusSeconds(5))).isEqualTo(id);

        StoredMessage stored = store().message(id).orElseThrow();
        assertThat(stored.createdAt()).isEqualTo(T0);
        assertThat(stored.size()).isEqualTo(first.length);
        try (InputStream in = stored.content().open()) {
            assertThat(in.readAllBytes()).isEqualTo(first);
        }

        // and the other way round: a large first content is not mixed with a smaller second one
        String other = "content-" + UUID.randomUUID();
        UUID otherId = store().enqueue(message(other, larger, "bob@remote.test"), T0);
        store().enqueue(message(other, first, "bob@remote.test"), T0.plusSeconds(5));
        StoredMessage large = store().message(otherId).orElseThrow();
        assertThat(large.size()).isEqualTo(larger.length);
        try (InputStream in = large.content().open()) {
            assertThat(in.readAllBytes()).isEqualTo(larger);
        }
    }

    @Test
    void aReportOwedIsWrittenWithTheStateAndClearedOnceSent() {
        UUID id = store().enqueue(message("owed-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        RecipientRecord claimed = store().claim(List.of(store().recipient(id, "bob@remote.test").orElseThrow()),
            "node-a", T0.plusSeconds(900), T0.plusSeconds(900)).get(0);
        RecipientOutcome refused = RecipientOutcome.fromReply("bob@remote.test", "mx.remote.test", "192.0.2.1", AttemptStage.RCPT,
            SmtpReply.parse(List.of("550 5.1.1 no such user")));
        RecipientRecord bounced = claimed.toBuilder().state(RecipientState.BOUNCED).attempts(1).unclaimed()
            .reportOwed(Optional.of(DsnAction.FAILED)).build();

        assertThat(store().complete(new AttemptRecord(id, "node-a", claimed.claimToken().orElseThrow(),
            T0.plusSeconds(1), refused, RecipientState.BOUNCED, Optional.empty()), bounced)).isTrue();
        assertThat(store().recipient(id, "bob@remote.test").orElseThrow().reportOwed()).contains(DsnAction.FAILED);

        store().reportsSent(id, List.of("bob@remote.test"));

        RecipientRecord after = store().recipient(id, "bob@remote.test").orElseThrow();
        assertThat(after.reportOwed()).isEmpty();
        assertThat(after.state()).isEqualTo(RecipientState.BOUNCED);
    }

    @Test
    void theCursorOfAShardIsKept() {
        store().advanceCursor(3, 123456L);
        assertThat(store().cursor(3)).contains(123456L);
    }


    @Test
    void theDsnParametersOfTheClientAreKept() {
        UUID id = store().enqueue(new NewMessage("dsn-" + UUID.randomUUID(), "alice@example.com",
            List.of("a@one.test", "b@two.test"), "x".getBytes(),
            new MessageDsn(Optional.of(DsnRet.HDRS), Optional.of("env-42")),
            List.of(new RecipientDsn(EnumSet.of(DsnNotify.FAILURE, DsnNotify.DELAY), Optional.of("rfc822;a@one.test")),
                RecipientDsn.NONE)), T0);

        assertThat(store().message(id).orElseThrow().dsn())
            .isEqualTo(new MessageDsn(Optional.of(DsnRet.HDRS), Optional.of("env-42")));
        assertThat(store().recipient(id, "a@one.test").orElseThrow().dsn().notifyOn())
            .containsExactlyInAnyOrder(DsnNotify.FAILURE, DsnNotify.DELAY);
        assertThat(store().recipient(id, "a@one.test").orElseThrow().dsn().originalRecipient()).contains("rfc822;a@one.test");
        assertThat(store().recipient(id, "b@two.test").orElseThrow().dsn()).isEqualTo(RecipientDsn.NONE);
    }


    @Test
    void anUpdateOnlyAppliesToTheStateItWasBasedOnAndIndexesAHeldRecipientAtItsExpiry() {
        UUID id = store().enqueue(message("hold-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        RecipientRecord pending = store().recipient(id, "bob@remote.test").orElseThrow();
        Instant expiry = T0.plus(Duration.ofDays(5));
        RecipientRecord held = pending.toBuilder().state(RecipientState.HELD).nextAttemptAt(expiry).build();

        assertThat(store().update(pending, held)).isTrue();
        assertThat(store().update(pending, held)).isFalse();
        assertThat(store().recipient(id, "bob@remote.test").orElseThrow().state()).isEqualTo(RecipientState.HELD);
        assertThat(store().dueEntries(store().shardOf(id), store().bucketOf(expiry), expiry, 1000))
            .anyMatch(entry -> entry.messageId().equals(id));
        // a claimed recipient is not the admin's to change
        RecipientRecord released = held.toBuilder().state(RecipientState.DEFERRED).nextAttemptAt(T0).build();
        assertThat(store().update(held, released)).isTrue();
        assertThat(store().claim(store().recipient(id, "bob@remote.test").orElseThrow(), "node-a", T0.plusSeconds(900)))
            .isTrue();
        assertThat(store().update(released, released.toBuilder().state(RecipientState.HELD).build())).isFalse();
    }


    @Test
    void finishingAMessageAlreadyReadDoesTheSame() {
        UUID id = store().enqueue(message("finish-read-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        StoredMessage message = store().message(id).orElseThrow();
        long day = Math.floorDiv(T0.getEpochSecond(), 86_400L);
        assertThat(message.shard()).isEqualTo(store().shardOf(id));

        store().finish(message);

        assertThat(store().activeMessages(message.shard(), day)).doesNotContain(id);
        assertThatThrownBy(() -> {
            try (InputStream in = store().message(id).orElseThrow().content().open()) {
                in.readAllBytes();
            }
        }).as("the content is gone").isInstanceOf(RuntimeException.class);
    }


    @Test
    void finishingADeliveredMessageRemovesTheIndexEntryItsClaimLeft() {
        UUID id = store().enqueue(message("finish-spent-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        Instant lookAgain = T0.plusSeconds(30);
        List<RecipientRecord> claimed = store().claim(store().recipients(id), "node-a", T0.plusSeconds(900), lookAgain);
        assertThat(store().complete(delivered(id, "node-a", claimed.get(0).claimToken().orElseThrow()), done(id)))
            .isTrue();
        DueEntry spent = store().dueEntry(id, "bob@remote.test", lookAgain);
        assertThat(store().dueEntries(spent.shard(), spent.bucket(), lookAgain, 1000)).contains(spent);

        store().finish(store().message(id).orElseThrow(), List.of(spent));

        assertThat(store().dueEntries(spent.shard(), spent.bucket(), lookAgain, 1000)).doesNotContain(spent);
        assertThat(store().activeMessages(store().shardOf(id), Math.floorDiv(T0.getEpochSecond(), 86_400L)))
            .doesNotContain(id);
    }


    @Test
    void anUpdateFromAReadOlderThanAnAttemptIsRefused() {
        UUID id = store().enqueue(message("stale-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        assertThat(store().claim(store().recipient(id, "bob@remote.test").orElseThrow(), "node-a",
            T0.plusSeconds(900))).isTrue();
        Instant next = T0.plusSeconds(300);
        RecipientRecord deferred = store().recipient(id, "bob@remote.test").orElseThrow().toBuilder()
            .state(RecipientState.DEFERRED).attempts(1).nextAttemptAt(next).unclaimed().build();
        assertThat(store().complete(new AttemptRecord(id, "node-a", tokenOf(id, "bob@remote.test"), T0.plusSeconds(1),
            busyFor("bob@remote.test"),
            RecipientState.DEFERRED, Optional.of(next)), deferred)).isTrue();
        RecipientRecord seen = store().recipient(id, "bob@remote.test").orElseThrow();

        // another attempt happens meanwhile, and leaves the recipient deferred again
        assertThat(store().claim(seen, "node-b", T0.plusSeconds(1200))).isTrue();
        RecipientRecord again = seen.toBuilder().attempts(2).nextAttemptAt(next.plusSeconds(600)).unclaimed().build();
        assertThat(store().complete(new AttemptRecord(id, "node-b", tokenOf(id, "bob@remote.test"), T0.plusSeconds(400),
            busyFor("bob@remote.test"),
            RecipientState.DEFERRED, Optional.of(next.plusSeconds(600))), again)).isTrue();

        // a change computed from the first read would undo that attempt's record
        assertThat(store().update(seen, seen.toBuilder().nextAttemptAt(T0.plusSeconds(2)).build())).isFalse();
        assertThat(store().recipient(id, "bob@remote.test").orElseThrow().attempts()).isEqualTo(2);
    }

    private static RecipientOutcome busyFor(String recipient) {
        return RecipientOutcome.fromReply(recipient, "mx.remote.test", "192.0.2.1", AttemptStage.RCPT,
            SmtpReply.parse(List.of("451 4.3.0 try later")));
    }


    @Test
    void aFinishedMessageLosesItsContentAndLeavesTheActiveListButKeepsItsHistory() throws Exception {
        UUID id = store().enqueue(message("finish-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        int shard = store().shardOf(id);
        long day = Math.floorDiv(T0.getEpochSecond(), 86_400L);
        assertThat(store().activeMessages(shard, day)).contains(id);

        store().finish(id);

        assertThat(store().activeMessages(shard, day)).doesNotContain(id);
        assertThat(store().recipients(id)).hasSize(1);
        assertThatThrownBy(() -> {
            try (InputStream in = store().message(id).orElseThrow().content().open()) {
                in.readAllBytes();
            }
        }).as("the content is gone").isInstanceOf(RuntimeException.class);
        store().delete(id);
        assertThat(store().message(id)).isEmpty();
        assertThat(store().recipients(id)).isEmpty();
    }

    private RecipientRecord done(UUID id) {
        return store().recipient(id, "bob@remote.test").orElseThrow().toBuilder().state(RecipientState.DELIVERED)
            .attempts(1).nextAttemptAt(T0.plusSeconds(1)).unclaimed().build();
    }

    private RecipientRecord doneFor(UUID id, String recipient) {
        return store().recipient(id, recipient).orElseThrow().toBuilder().state(RecipientState.DELIVERED)
            .attempts(1).nextAttemptAt(T0.plusSeconds(1)).unclaimed().build();
    }

    private static AttemptRecord deliveredTo(UUID id, String recipient, UUID token) {
        RecipientOutcome ok = RecipientOutcome.fromReply(recipient, "mx.remote.test", "192.0.2.1",
            AttemptStage.END_OF_DATA, SmtpReply.parse(List.of("250 2.0.0 Ok: queued")));
        return new AttemptRecord(id, "node-a", token, T0.plusSeconds(1), ok, RecipientState.DELIVERED,
            Optional.empty());
    }

    private static AttemptRecord delivered(UUID id, String node, UUID token) {
        return new AttemptRecord(id, node, token, T0.plusSeconds(1), deliveredTo(id, "bob@remote.test", token).outcome(),
            RecipientState.DELIVERED, Optional.empty());
    }

    /** The token of the claim holding the recipient now. */
    private UUID tokenOf(UUID id, String recipient) {
        return store().recipient(id, recipient).orElseThrow().claimToken().orElseThrow();
    }
}
