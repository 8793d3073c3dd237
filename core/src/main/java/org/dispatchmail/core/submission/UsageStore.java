package org.dispatchmail.core.submission;

import java.time.Instant;
import java.util.List;

/** What each login submitted lately, shared by every node. */
public interface UsageStore {
    /** Records one accepted message with its number of recipients. */
    void record(String login, Instant at, int recipients);

    /** The recipient counts of the login's messages accepted in [from, to], one entry per message. */
    List<Integer> between(String login, Instant from, Instant to);
}
